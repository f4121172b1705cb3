package explore

import (
	"fmt"
	"hash/fnv"
	"maps"
	"pblab/internal/explore/plan"
	"slices"

	"github.com/anishathalye/porcupine"
)

// KVInput is the input of one key/value operation in a porcupine history:
// Op is "get", "put" or "append".
type KVInput struct {
	Op    string
	Key   string
	Value string
}

// KVOutput is the output of one key/value operation: a Get's result.
type KVOutput struct {
	Value string
}

// KVModel is the sequential specification of the key/value service, for
// porcupine: each key on its own (the history is partitioned by key), its
// state the key's value.
var KVModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(KVInput).Key
			byKey[k] = append(byKey[k], op)
		}
		keys := slices.Sorted(maps.Keys(byKey))
		parts := make([][]porcupine.Operation, len(keys))
		for i, k := range keys {
			parts[i] = byKey[k]
		}
		return parts
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		s, in := state.(string), input.(KVInput)
		switch in.Op {
		case plan.OpGet:
			return output.(KVOutput).Value == s, s
		case plan.OpPut:
			return true, in.Value
		default:
			return true, s + in.Value
		}
	},
	Hash: func(state any) uint64 {
		h := fnv.New64a()
		h.Write([]byte(state.(string)))
		return h.Sum64()
	},
	DescribeOperation: func(input, output any) string {
		in := input.(KVInput)
		switch in.Op {
		case plan.OpGet:
			return fmt.Sprintf("get(%s) → %q", in.Key, shorten(output.(KVOutput).Value))
		case plan.OpPut:
			return fmt.Sprintf("put(%s, %q)", in.Key, in.Value)
		default:
			return fmt.Sprintf("append(%s, %q)", in.Key, in.Value)
		}
	},
	DescribeState: func(state any) string { return fmt.Sprintf("%q", shorten(state.(string))) },
}

// shorten keeps the end of a long value, where the latest appends are.
func shorten(s string) string {
	if len(s) <= 40 {
		return s
	}
	return "…" + s[len(s)-39:]
}
