package main

// Group commit as the servers saw it during the ingest, from their own
// GET /metrics (loopback needs no token): how many write transactions
// committed, how many writes each grouped, and how long the COMMIT itself
// took. With the ingest's wall time that says where a batch's time goes:
// inside the transaction (the statements, under the write lock) or in
// the COMMIT (the WAL flush).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"paydesk/views/paths"
)

// commitStats are the store writers' histograms summed over the servers.
type commitStats struct {
	commits      uint64  // committed write transactions
	writes       float64 // writes they grouped
	commitSecond float64 // time in COMMIT
}

func (c commitStats) sub(o commitStats) commitStats {
	return commitStats{commits: c.commits - o.commits, writes: c.writes - o.writes, commitSecond: c.commitSecond - o.commitSecond}
}

// scrapeCommits reads every server's commit histograms.
func scrapeCommits(ctx context.Context, client *http.Client, bases []string) (commitStats, error) {
	var sum commitStats
	for _, base := range bases {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths.Metrics, nil)
		res, err := client.Do(req)
		if err != nil {
			return sum, fmt.Errorf("metrics: %w", err)
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return sum, fmt.Errorf("metrics: %w", err)
		}
		if res.StatusCode != http.StatusOK {
			return sum, fmt.Errorf("metrics: %s: status %d", base, res.StatusCode)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
		if err != nil {
			return sum, fmt.Errorf("metrics: %w", err)
		}
		if h := histogram(fams["paydesk_store_commit_batch_size"]); h != nil {
			sum.commits += h.GetSampleCount()
			sum.writes += h.GetSampleSum()
		}
		if h := histogram(fams["paydesk_store_commit_duration_seconds"]); h != nil {
			sum.commitSecond += h.GetSampleSum()
		}
	}
	return sum, nil
}

func histogram(f *dto.MetricFamily) *dto.Histogram {
	if f == nil || len(f.Metric) == 0 {
		return nil
	}
	return f.Metric[0].GetHistogram()
}

// describe is the report's line on group commit over elapsed.
func (c commitStats) describe(elapsed time.Duration) string {
	if c.commits == 0 {
		return "no commits seen"
	}
	n := float64(c.commits)
	perCommit := elapsed.Seconds() / n
	inCommit := c.commitSecond / n
	return fmt.Sprintf("%d commits, %.1f writes each; one per %s ms, of which COMMIT %s ms",
		c.commits, c.writes/n, msf(perCommit*1e3), msf(inCommit*1e3))
}

func msf(v float64) string { return ms(time.Duration(v * float64(time.Millisecond))) }
