//go:build !linux

package kubeapi

import "syscall"

// sysProcAttr has nothing to add outside Linux; the simulator stops its
// children itself.
func sysProcAttr() *syscall.SysProcAttr { return nil }
