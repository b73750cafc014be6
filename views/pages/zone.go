package pages

import "paydesk/views/layout"

// zoneSuffix labels a date filter with the zone its dates are read in:
// "(UTC)", "(Asia/Singapore)".
func zoneSuffix(p layout.Page) string {
	if p.User == nil || p.User.TimeZone == "" {
		return "(UTC)"
	}
	return "(" + p.User.TimeZone + ")"
}
