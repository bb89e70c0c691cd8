package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/libct/libct"
)

// TestStatsEventLayout: the stats of ct events carry runc's names and
// leave out what runc leaves out, and nothing in them reads "oom" (tools
// wait for the oom event with a grep).
func TestStatsEventLayout(t *testing.T) {
	tests := []struct {
		name         string
		stats        libct.Stats
		want, absent []string
	}{
		{
			name:   "idle cgroup",
			stats:  libct.Stats{},
			want:   []string{`"cpu":{"usage":{"kernel":0,"user":0},"throttling":{}}`, `"memory":{"usage":{"limit":0,"failcnt":0}}`, `"pids":{}`},
			absent: []string{"oom", "total"},
		},
		{
			name: "after an OOM kill",
			stats: func() libct.Stats {
				var s libct.Stats
				s.Memory.Limit, s.Memory.Usage, s.Memory.LimitHits, s.Memory.OOMKills = -1, 4096, 2, 3
				s.Pids.Current, s.Pids.Limit = 2, -1
				return s
			}(),
			want:   []string{`"usage":{"limit":18446744073709551615,"usage":4096,"failcnt":2}`, `"pids":{"current":2}`},
			absent: []string{"oom"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(event{Type: "stats", ID: "x", Data: convertStats(&tt.stats)})
			if err != nil {
				t.Fatal(err)
			}
			got := string(data)
			if !strings.HasPrefix(got, `{"type":"stats","id":"x","data":{`) {
				t.Errorf("event %s: want type, id and data first", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("event %s: want %s in it", got, w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("event %s: want no %q in it", got, a)
				}
			}
		})
	}
}
