package deployment

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"maps"
	"strconv"

	"skiff/pkg/api"
)

// safeAlphabet is Kubernetes' SafeEncodeString alphabet: no vowels, no
// look-alikes, so a hash never spells a word.
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// ComputeHash returns the pod-template-hash of a Deployment's pod template:
// FNV-32a over the template's JSON (and over collisionCount, when the
// Deployment has had to step past a name collision), written in decimal and
// each digit mapped through Kubernetes' safe-encode alphabet. The hash names
// the template's ReplicaSet (<deployment>-<hash>) and labels its pods.
//
// Kubernetes hashes a spew dump of the Go struct, so the values differ from a
// real cluster's; what matters is that they are stable and look the same. The
// controller finds a Deployment's current ReplicaSet by comparing templates,
// not hashes, so a hash that changed (a new API field) never duplicates one.
func ComputeHash(tpl *api.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	// Marshalling API types cannot fail: they hold no channels, funcs or cycles.
	data, _ := json.Marshal(tpl)
	h.Write(data)
	if collisionCount != nil {
		// Eight bytes, the low four holding the count, as Kubernetes writes it.
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return safeEncode(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// safeEncode maps every byte of s into safeAlphabet, as Kubernetes'
// rand.SafeEncodeString does.
func safeEncode(s string) string {
	out := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = safeAlphabet[int(s[i])%len(safeAlphabet)]
	}
	return string(out)
}

// equalIgnoreHash reports whether two pod templates are the same apart from
// the pod-template-hash label: a Deployment's template never has it, its
// ReplicaSets' templates always do. Templates are compared by their JSON, so a
// nil and an empty map or list are equal, as Kubernetes' semantic equality has
// them.
func equalIgnoreHash(a, b *api.PodTemplateSpec) bool {
	return string(templateJSONWithoutHash(a)) == string(templateJSONWithoutHash(b))
}

func templateJSONWithoutHash(t *api.PodTemplateSpec) []byte {
	cp := *t
	if _, ok := t.Labels[HashLabel]; ok {
		cp.Labels = maps.Clone(t.Labels)
		delete(cp.Labels, HashLabel)
	}
	data, _ := json.Marshal(&cp)
	return data
}
