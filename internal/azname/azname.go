// Package azname holds Azure Blob Storage's rules for the names a shared
// state uses, for the workflow (a diagnostic at its position) and the
// azurerm storage (names from flags and the environment) alike.
package azname

import (
	"fmt"
	"strings"
)

// CheckContainer applies Azure's rules for a container name: 3 to 63
// lowercase letters, digits and single hyphens, starting and ending with a
// letter or digit. The service would refuse another with a 400 that reads
// like a network fault.
func CheckContainer(name string) error {
	ok := len(name) >= 3 && len(name) <= 63 && !strings.Contains(name, "--") &&
		name[0] != '-' && name[len(name)-1] != '-'
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("%q is not a valid Azure container name: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit", name)
	}
	return nil
}

// CheckKeyPrefix refuses a key prefix that would not name a folder of its
// own: a leading or trailing slash, an empty, "." or ".." segment (blob
// names are joined as paths, so "a/../b" would be another deployment's
// "b"), or a backslash.
func CheckKeyPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	for _, seg := range strings.Split(prefix, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.Contains(seg, `\`) {
			return fmt.Errorf("%q is not a folder of blobs: use segments separated by single slashes, none of them empty, \".\" or \"..\", without a backslash", prefix)
		}
	}
	if len(prefix) > 512 {
		return fmt.Errorf("key_prefix is %d characters; Azure allows 1,024 for a whole blob name, so keep it under 512", len(prefix))
	}
	return nil
}
