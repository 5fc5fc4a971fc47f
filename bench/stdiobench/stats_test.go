package main

import (
	"math"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, x := range v {
		d[i] = time.Duration(x) * time.Millisecond
	}
	return d
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // reversed, so sorting matters
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single", ms(7), 99, 7 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 of 100", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 3 is max", ms(3, 1, 2), 99, 3 * time.Millisecond},
		{"tiny p is min", ms(3, 1, 2), 0.1, 1 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{"empty", nil, 0},
		{"odd", ms(5, 1, 3), 3 * time.Millisecond},
		{"even averages middle pair", ms(4, 1, 2, 10), 3 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tc.in...)
			if got := median(tc.in); got != tc.want {
				t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.in[i] {
					t.Fatalf("median reordered its input: %v became %v", in, tc.in)
				}
			}
		})
	}
}

func TestPairwiseRatios(t *testing.T) {
	// Round 2 is slow for both servers; the pairwise median ignores that
	// drift, while the ratio of medians (26ms/10.5ms ≈ 2.5) would not.
	x := ms(20, 300, 22, 30)
	base := ms(10, 150, 11, 10)
	r := pairwiseRatios(x, base)
	want := []float64{2, 2, 2, 3}
	if len(r) != len(want) {
		t.Fatalf("got %d ratios, want %d", len(r), len(want))
	}
	for i := range want {
		if math.Abs(r[i]-want[i]) > 1e-9 {
			t.Errorf("ratio[%d] = %v, want %v", i, r[i], want[i])
		}
	}
	if got := medianFloat(r); got != 2 {
		t.Errorf("median ratio = %v, want 2", got)
	}
	if got := pairwiseRatios(ms(5), ms(0)); len(got) != 0 {
		t.Errorf("zero baseline produced ratios %v, want none", got)
	}
	if !math.IsNaN(medianFloat(nil)) {
		t.Error("medianFloat(nil) should be NaN")
	}
}
