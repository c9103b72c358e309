package kube

import (
	"encoding/binary"
	"testing"
)

// pbBytes encodes one length-delimited protobuf field.
func pbBytes(num uint64, value []byte) []byte {
	out := binary.AppendUvarint(nil, num<<3|2)
	out = binary.AppendUvarint(out, uint64(len(value)))
	return append(out, value...)
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestDecodeProtobufObjectMeta(t *testing.T) {
	typeMeta := pbBytes(1, concat(pbBytes(1, []byte("v1")), pbBytes(2, []byte("Namespace"))))
	meta := concat(
		pbBytes(1, []byte("team-a")),
		// a varint field (generation = 7) that must be skipped
		binary.AppendUvarint(binary.AppendUvarint(nil, 7<<3|0), 7),
		pbBytes(11, concat(pbBytes(1, []byte("env")), pbBytes(2, []byte("dev")))),
	)
	valid := concat(protobufMagic, typeMeta, pbBytes(2, pbBytes(1, meta)))

	tests := []struct {
		name       string
		in         []byte
		wantName   string
		wantLabels map[string]string
		wantErr    bool
	}{
		{name: "namespace with a label", in: valid, wantName: "team-a", wantLabels: map[string]string{"env": "dev"}},
		{name: "missing magic", in: valid[4:], wantErr: true},
		{name: "truncated", in: valid[:len(valid)-3], wantErr: true},
		{name: "no raw object", in: concat(protobufMagic, typeMeta), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, labels, err := decodeProtobufObjectMeta(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if name != tt.wantName || len(labels) != len(tt.wantLabels) || labels["env"] != tt.wantLabels["env"] {
				t.Errorf("got %q %v, want %q %v", name, labels, tt.wantName, tt.wantLabels)
			}
		})
	}
}
