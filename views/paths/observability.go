package paths

import "net/url"

// Metrics is Prometheus' scrape endpoint (loopback, or a Bearer token).
const Metrics = "/metrics"

// Refunds is where refunds across payments are listed; only its CSV export
// (Export(Refunds, …)) is served so far.
const Refunds = "/refunds"

// ExportSuffix turns a list's path into its CSV export's path.
const ExportSuffix = "/export.csv"

// Export is the CSV export of the list at listPath with the list's filter
// q: empty values, the cursor and the live poll's sequence are dropped (an
// export is the whole filter).
func Export(listPath string, q url.Values) string {
	v := url.Values{}
	for k, vs := range q {
		if k == "cursor" || k == "since" {
			continue
		}
		for _, s := range vs {
			if s != "" {
				v.Add(k, s)
			}
		}
	}
	if len(v) == 0 {
		return listPath + ExportSuffix
	}
	return listPath + ExportSuffix + "?" + v.Encode()
}
