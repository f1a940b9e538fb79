package bench

import (
	"context"
	"strings"
	"testing"
)

// TestMatrixReduced runs every row of the scenario matrix at a fiftieth of
// its size through no retry (the SDK strategies' code path, without their
// seconds of backoff), plain backoff and this project: a check of the
// accounting and of this project's strategy in every picture of S3, not a
// timing. Every message is stored or reported failed (none lost), and this
// project stores every one in every row.
func TestMatrixReduced(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every strategy through every row")
	}
	rows := MatrixRows(0.02)
	results, err := RunMatrix(context.Background(), rows, []Strategy{NoRetry(), Plain(), Project()}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range results {
		for _, s := range rr.Sums {
			r := s.Runs[0]
			if r.Lost != 0 || r.Stored+r.GaveUp != r.Objects {
				t.Errorf("%s, %s: stored %d + gave up %d of %d, lost %d; want every message stored or reported failed",
					rr.Row.ID, s.Strategy, r.Stored, r.GaveUp, r.Objects, r.Lost)
			}
			if s.Strategy == Project().Name && r.Stored != r.Objects {
				t.Errorf("%s: this project stored %d of %d", rr.Row.ID, r.Stored, r.Objects)
			}
		}
		if rr.Row.Alone != nil {
			if mixed, alone := rr.AloneRatio(); mixed <= 0 || alone <= 0 {
				t.Errorf("%s: prefix %s throughput %v here, %v alone; want both measured", rr.Row.ID, rr.Row.AlonePrefix, mixed, alone)
			}
		}
	}
	var b strings.Builder
	if err := WriteMatrix(&b, results); err != nil {
		t.Fatal(err)
	}
	for _, rr := range results {
		if !strings.Contains(b.String(), rr.Row.Name) {
			t.Errorf("matrix tables lack row %q", rr.Row.Name)
		}
	}
	if got := len(MatrixTargets(results)); got == 0 {
		t.Error("no matrix targets checked")
	}
}
