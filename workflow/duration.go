package workflow

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration reads "90s", "15m", "1h30m" and also whole days ("30d"),
// which Go's time.ParseDuration does not know.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: use forms like 90s, 15m, 1h30m or 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: use forms like 90s, 15m, 1h30m or 30d", s)
	}
	return d, nil
}
