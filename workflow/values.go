package workflow

import (
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// GoValue turns a cty value into plain Go (bool, int, float64, string,
// []any, map[string]any, nil) for the state file. Unknown values are nil.
func GoValue(v cty.Value) any {
	v, _ = v.UnmarkDeep()
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.Bool:
		return v.True()
	case ty == cty.String:
		return v.AsString()
	case ty == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			// int, as YAML reads whole numbers back: a value must be the
			// same whether it comes from a fresh parse or from memory.
			if i, acc := bf.Int64(); acc == big.Exact && int64(int(i)) == i {
				return int(i)
			}
		}
		f, _ := bf.Float64()
		return f
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out := []any{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, GoValue(e))
		}
		return out
	case ty.IsMapType() || ty.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = GoValue(e)
		}
		return out
	}
	return nil
}

// CtyValue turns plain Go values (as decoded from YAML or JSON) into cty,
// for infra.* outputs read from the state.
func CtyValue(v any) (cty.Value, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return cty.NilVal, err
	}
	ty, err := ctyjson.ImpliedType(data)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(data, ty)
}

// InfraValue is the infra.* object: every output, the sensitive ones marked
// so that nothing computed from them is displayed.
func InfraValue(outputs map[string]any, sensitiveOutputs []string) (cty.Value, error) {
	secret := map[string]bool{}
	for _, s := range sensitiveOutputs {
		secret[s] = true
	}
	attrs := make(map[string]cty.Value, len(outputs))
	for name, v := range outputs {
		cv, err := CtyValue(v)
		if err != nil {
			return cty.NilVal, fmt.Errorf("output %s: %w", name, err)
		}
		if secret[name] {
			cv = cv.Mark(sensitive)
		}
		attrs[name] = cv
	}
	return cty.ObjectVal(attrs), nil
}
