package kube

import (
	"bytes"
	"encoding/binary"
	"errors"
)

const protobufContentType = "application/vnd.kubernetes.protobuf"

// protobufMagic prefixes every Kubernetes protobuf payload.
var protobufMagic = []byte("k8s\x00")

var errBadProtobuf = errors.New("the body of the request was in an unknown format")

// decodeProtobufObjectMeta reads metadata.name and metadata.labels from a
// Kubernetes protobuf object: a runtime.Unknown envelope (field 2 holds the
// raw object) whose object's field 1 is ObjectMeta (name = 1, labels = 11).
// That is all the simulator needs from a create, so it walks the wire format
// by hand instead of pulling in the Kubernetes API machinery.
func decodeProtobufObjectMeta(data []byte) (string, map[string]string, error) {
	if !bytes.HasPrefix(data, protobufMagic) {
		return "", nil, errBadProtobuf
	}
	raw, err := protoField(data[len(protobufMagic):], 2)
	if err != nil {
		return "", nil, err
	}
	meta, err := protoField(raw, 1)
	if err != nil {
		return "", nil, err
	}
	labels := map[string]string{}
	var name string
	err = protoEach(meta, func(num uint64, value []byte) error {
		switch num {
		case 1:
			name = string(value)
		case 11:
			var k, v string
			if err := protoEach(value, func(n uint64, b []byte) error {
				if n == 1 {
					k = string(b)
				} else if n == 2 {
					v = string(b)
				}
				return nil
			}); err != nil {
				return err
			}
			labels[k] = v
		}
		return nil
	})
	return name, labels, err
}

// protoField returns the last occurrence of a length-delimited field.
func protoField(msg []byte, want uint64) ([]byte, error) {
	var out []byte
	found := false
	err := protoEach(msg, func(num uint64, value []byte) error {
		if num == want {
			out, found = value, true
		}
		return nil
	})
	if err == nil && !found {
		err = errBadProtobuf
	}
	return out, err
}

// protoEach calls fn for every length-delimited field of msg and skips the
// other wire types.
func protoEach(msg []byte, fn func(num uint64, value []byte) error) error {
	for len(msg) > 0 {
		key, n := binary.Uvarint(msg)
		if n <= 0 {
			return errBadProtobuf
		}
		msg = msg[n:]
		switch key & 7 {
		case 0: // varint
			_, n = binary.Uvarint(msg)
			if n <= 0 {
				return errBadProtobuf
			}
			msg = msg[n:]
		case 1: // fixed64
			if len(msg) < 8 {
				return errBadProtobuf
			}
			msg = msg[8:]
		case 5: // fixed32
			if len(msg) < 4 {
				return errBadProtobuf
			}
			msg = msg[4:]
		case 2:
			l, n := binary.Uvarint(msg)
			if n <= 0 || uint64(len(msg)-n) < l {
				return errBadProtobuf
			}
			value := msg[n : n+int(l)]
			msg = msg[n+int(l):]
			if err := fn(key>>3, value); err != nil {
				return err
			}
		default:
			return errBadProtobuf
		}
	}
	return nil
}
