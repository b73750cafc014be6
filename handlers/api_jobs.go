package handlers

import (
	"context"
	"time"
)

// SDKFlagCheckInterval is how often RunSDKFlagChecks looks for due checks:
// well inside store.SDKNotifyGrace, and one indexed read when nothing is due.
const SDKFlagCheckInterval = time.Second

// CheckSDKFlags runs the timed SDK disagreement checks that are due now
// (SDK success without a payment result after store.SDKNotifyGrace, SDK
// processing with nothing final after the order-close window). A flag it
// raises asks the inquiry poller to ask Antom at once. It returns how many
// payments' flags changed.
func (h *Handlers) CheckSDKFlags(ctx context.Context) (int, error) {
	return h.Store.EvaluateSDKFlags(ctx, h.Now())
}

// RunSDKFlagChecks calls CheckSDKFlags every interval (SDKFlagCheckInterval
// when zero) until ctx ends; web runs it as a background job.
func (h *Handlers) RunSDKFlagChecks(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = SDKFlagCheckInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := h.CheckSDKFlags(ctx); err != nil && ctx.Err() == nil {
			h.Log.Error("sdk flag checks", "err", err.Error())
		} else if n > 0 {
			h.Log.Info("sdk flag checks", "changed", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
