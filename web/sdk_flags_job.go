package web

import (
	"context"
	"time"
)

// AddSDKFlagJob registers the timed SDK disagreement checks of the app API
// (handlers.RunSDKFlagChecks): SDK success with no payment result within
// store.SDKNotifyGrace, SDK processing past the order-close window. every
// <= 0 means handlers.SDKFlagCheckInterval. Call it next to AddPaymentJobs.
func (s *Server) AddSDKFlagJob(every time.Duration) {
	s.AddJob(Job{Name: "sdk-flag-checks", Run: func(ctx context.Context) { s.h.RunSDKFlagChecks(ctx, every) }})
}
