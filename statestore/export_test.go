package statestore

import "time"

// convertV1ForTest exposes the v1 conversion to the external tests.
func convertV1ForTest(data []byte) (*Migration, error) {
	return convertV1(data, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

var ConvertV1ForTest = convertV1ForTest
