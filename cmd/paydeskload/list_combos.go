package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"paydesk/store"
	"paydesk/views/paths"
)

// ---- list pages (issue 14: every filter combination the UI offers) ----

// listCase is one filtered list page at one depth.
type listCase struct {
	filter, depth string
	path          string
}

var (
	selectRE = regexp.MustCompile(`(?s)<select [^>]*name="([a-z]+)"[^>]*>(.*?)</select>`)
	optionRE = regexp.MustCompile(`<option value="([^"]*)"`)
)

// filterOptions reads the payments list's filter form: the values of its
// status, currency and capture selects, and whether it offers the date
// range and the needs-attention box. The sweep then covers what the UI
// offers, not a list kept here.
func filterOptions(ctx context.Context, s *staff) (map[string][]string, error) {
	resp, body, _, err := s.get(ctx, paths.Payments, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("payments list: status %d", resp.StatusCode)
	}
	opts := map[string][]string{}
	for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
		for _, o := range optionRE.FindAllStringSubmatch(m[2], -1) {
			opts[m[1]] = append(opts[m[1]], o[1])
		}
	}
	for _, name := range []string{"status", "currency", "capture"} {
		if len(opts[name]) < 2 || opts[name][0] != "" {
			return nil, fmt.Errorf("payments list: no %s filter with an \"any\" option (%v)", name, opts[name])
		}
	}
	for _, input := range []string{`name="from"`, `name="to"`, `name="attention"`} {
		if !strings.Contains(body, input) {
			return nil, fmt.Errorf("payments list: the filter form has no %s", input)
		}
	}
	return opts, nil
}

// listCases are every combination of the filter form (status × currency ×
// capture state × needs attention × no dates or a date range), each on its
// first page, in the middle of the table and near its oldest row (keyset
// cursors).
func listCases(f *store.Fixture, opts map[string][]string) []listCase {
	n := f.Spec.Payments
	// Days around all but the oldest and newest 1%: every depth below is inside.
	from := f.Payment(n / 100).CreatedAt.Format(time.DateOnly)
	to := f.Payment(n - n/100 - 1).CreatedAt.Format(time.DateOnly)
	depths := []struct {
		name   string
		cursor string
	}{
		{"first page", ""},
		{"middle", f.Cursor(n / 2)},
		{"oldest 5%", f.Cursor(n / 20)},
	}
	var out []listCase
	for _, st := range opts["status"] {
		for _, cur := range opts["currency"] {
			for _, cp := range opts["capture"] {
				for _, att := range []bool{false, true} {
					for _, dates := range []bool{false, true} {
						q := url.Values{}
						var name []string
						for _, kv := range [][2]string{{"status", st}, {"currency", cur}, {"capture", cp}} {
							if kv[1] != "" {
								q.Set(kv[0], kv[1])
								name = append(name, kv[0]+"="+kv[1])
							}
						}
						if att {
							q.Set("attention", "1")
							name = append(name, "attention")
						}
						if dates {
							q.Set("from", from)
							q.Set("to", to)
							name = append(name, "dates")
						}
						if len(name) == 0 {
							name = []string{"all"}
						}
						for _, d := range depths {
							v := url.Values{}
							for k, vs := range q {
								v[k] = vs
							}
							if d.cursor != "" {
								v.Set("cursor", d.cursor)
							}
							path := paths.Payments
							if len(v) > 0 {
								path += "?" + v.Encode()
							}
							out = append(out, listCase{filter: strings.Join(name, " "), depth: d.name, path: path})
						}
					}
				}
			}
		}
	}
	return out
}

// listResult: the sweep over every case, and the slowest cases measured
// again, each -list-rounds times, for their own p99.
type listResult struct {
	cases           int       // filter × depth combinations swept
	over            int       // of which the one sweep request took more than the target
	sweep           latencies // one request per case
	all             latencies // every request, sweep and rounds
	worstCase       string    // the case with the highest p99 among those measured again
	worstP99, worst time.Duration
	again           int // cases measured again
}

// listSlowest is how many of the sweep's slowest cases are measured again.
const listSlowest = 20

// listPages requests every case once, then the listSlowest slowest
// rounds times each: a case's p99 is the p99 of its own requests.
func listPages(ctx context.Context, s *staff, cases []listCase, rounds int) (listResult, error) {
	res := listResult{cases: len(cases)}
	get := func(lc listCase) (time.Duration, error) {
		resp, body, took, err := s.get(ctx, lc.path, nil)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="payments"`) && !strings.Contains(body, "<table") {
			return 0, fmt.Errorf("list %s (%s): status %d", lc.filter, lc.depth, resp.StatusCode)
		}
		return took, nil
	}
	type timed struct {
		lc   listCase
		took time.Duration
	}
	swept := make([]timed, 0, len(cases))
	var all, sweep []time.Duration
	for _, lc := range cases {
		took, err := get(lc)
		if err != nil {
			return res, err
		}
		swept = append(swept, timed{lc, took})
		sweep = append(sweep, took)
		if took > targetListPage {
			res.over++
		}
	}
	all = append(all, sweep...)
	sort.Slice(swept, func(i, j int) bool { return swept[i].took > swept[j].took })
	for _, sc := range swept[:min(listSlowest, len(swept))] {
		var samples []time.Duration
		for range rounds {
			took, err := get(sc.lc)
			if err != nil {
				return res, err
			}
			samples = append(samples, took)
		}
		l := summarize(samples)
		if p := l.pct(99); p > res.worstP99 {
			res.worstP99, res.worstCase = p, sc.lc.filter+", "+sc.lc.depth
		}
		all = append(all, samples...)
		res.again++
	}
	res.sweep, res.all = summarize(sweep), summarize(all)
	res.worst = res.all.max()
	return res, nil
}
