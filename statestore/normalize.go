package statestore

import (
	"fmt"
	"reflect"
	"time"
)

// normalized returns a copy of the state in which "empty" and "absent" are
// the same, as they are once written to YAML: checkWrite compares states
// through it.
func normalized(st *State) *State {
	c := *st
	c.DeploymentFlags = emptyNil(c.DeploymentFlags)
	c.Runtime = emptyNil(c.Runtime)
	if len(c.VMRuntimeStatus) == 0 {
		c.VMRuntimeStatus = nil
	}
	c.Terraform = normalTerraform(c.Terraform)
	if f := c.InfrastructureFacts; f != nil {
		fc := *f
		fc.Outputs = emptyNil(fc.Outputs)
		if len(fc.SensitiveOutputs) == 0 {
			fc.SensitiveOutputs = nil
		}
		c.InfrastructureFacts = &fc
	}
	c.DeploymentRuns = nil
	for _, r := range st.DeploymentRuns {
		rc := *r
		rc.Terraform = normalTerraform(rc.Terraform)
		if len(rc.Phases) == 0 {
			rc.Phases = nil
		}
		if s := rc.ConfigSnapshot; s != nil {
			sc := *s
			if len(sc.Applicable) == 0 {
				sc.Applicable = nil
			}
			sc.Variables, sc.Flags = emptyNil(sc.Variables), emptyNil(sc.Flags)
			rc.ConfigSnapshot = &sc
		}
		c.DeploymentRuns = append(c.DeploymentRuns, &rc)
	}
	return &c
}

func normalTerraform(t *TerraformRef) *TerraformRef {
	if t == nil {
		return nil
	}
	c := *t
	c.Backend.Config = emptyNil(c.Backend.Config)
	if len(c.Migrations) == 0 {
		c.Migrations = nil
	}
	return &c
}

// ensureMaps gives a loaded state the maps code writes into; gob and YAML
// both may leave an empty one nil.
func (s *State) ensureMaps() *State {
	if s.Runtime == nil {
		s.Runtime = map[string]any{}
	}
	if s.DeploymentFlags == nil {
		s.DeploymentFlags = map[string]any{}
	}
	return s
}

func emptyNil(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// diff names the first paths where two values differ, for checkWrite's
// message.
func diff(path string, a, b reflect.Value, out *[]string) {
	if len(*out) >= 5 {
		return
	}
	if !a.IsValid() || !b.IsValid() {
		if a.IsValid() != b.IsValid() {
			*out = append(*out, path+": present on one side only")
		}
		return
	}
	if a.Type() != b.Type() {
		*out = append(*out, fmt.Sprintf("%s: %s vs %s", path, a.Type(), b.Type()))
		return
	}
	switch a.Kind() {
	case reflect.Ptr, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				*out = append(*out, path+": nil on one side only")
			}
			return
		}
		diff(path, a.Elem(), b.Elem(), out)
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			if !a.Interface().(time.Time).Equal(b.Interface().(time.Time)) || !reflect.DeepEqual(a.Interface(), b.Interface()) {
				*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface()))
			}
			return
		}
		for i := 0; i < a.NumField(); i++ {
			if a.Type().Field(i).IsExported() {
				diff(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i), out)
			}
		}
	case reflect.Map:
		if a.Len() != b.Len() || a.IsNil() != b.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: %d vs %d entries (nil %v/%v)", path, a.Len(), b.Len(), a.IsNil(), b.IsNil()))
			return
		}
		for _, k := range a.MapKeys() {
			diff(fmt.Sprintf("%s[%v]", path, k), a.MapIndex(k), b.MapIndex(k), out)
		}
	case reflect.Slice:
		if a.Len() != b.Len() || a.IsNil() != b.IsNil() {
			*out = append(*out, fmt.Sprintf("%s: %d vs %d items (nil %v/%v)", path, a.Len(), b.Len(), a.IsNil(), b.IsNil()))
			return
		}
		for i := 0; i < a.Len(); i++ {
			diff(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i), out)
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, a.Interface(), b.Interface()))
		}
	}
}
