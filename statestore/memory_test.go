package statestore_test

import (
	"testing"
	"time"

	"github.com/k0flow/k0flow/statestore"
	"github.com/k0flow/k0flow/statestore/storagetest"
)

func TestMemoryConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) (statestore.Storage, statestore.Storage) {
		m := statestore.NewMemory()
		return m, m
	})
}

func TestMemoryLeases(t *testing.T) {
	storagetest.RunLeases(t, func(t *testing.T) (storagetest.Leaser, storagetest.Leaser) {
		m := statestore.NewMemory()
		m.LeaseTTL = 60 * time.Millisecond
		return m, m
	})
}
