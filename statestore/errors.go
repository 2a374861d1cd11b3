package statestore

import "errors"

func isNotExist(err error) bool { return errors.Is(err, ErrNotExist) }

// IsNotExist says whether err means the deployment has no state yet.
func IsNotExist(err error) bool { return isNotExist(err) }
