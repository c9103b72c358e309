package main

import (
	"os"
	"strings"
	"testing"
)

func TestQuietSDKLogs(t *testing.T) {
	clear := func() {
		// Registered first, so the value quietSDKLogs sets is undone too.
		t.Setenv("TF_LOG_SDK", "")
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TF_LOG") {
				t.Setenv(k, "")
			}
		}
	}
	t.Run("no log asked for", func(t *testing.T) {
		clear()
		quietSDKLogs()
		if got := os.Getenv("TF_LOG_SDK"); got != "off" {
			t.Errorf("TF_LOG_SDK = %q, want off", got)
		}
	})
	for _, k := range []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK"} {
		t.Run(k+" set", func(t *testing.T) {
			clear()
			t.Setenv(k, "TRACE")
			quietSDKLogs()
			if k != "TF_LOG_SDK" && os.Getenv("TF_LOG_SDK") != "" {
				t.Errorf("TF_LOG_SDK = %q with %s set; want it left alone", os.Getenv("TF_LOG_SDK"), k)
			}
			if os.Getenv(k) != "TRACE" {
				t.Errorf("%s changed to %q", k, os.Getenv(k))
			}
		})
	}
}
