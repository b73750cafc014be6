package web

import (
	"context"
	"time"
)

// How often the refused-delivery job works: the counts of dropped refused
// deliveries are written every few seconds (they are kept in memory until
// then), and refused deliveries past the retention period are deleted
// every hour.
const (
	refusedFlushEvery = 5 * time.Second
	refusedPurgeEvery = time.Hour
)

// refusedDeliveries is the background job of refused deliveries (issue 9,
// part 3): it writes the counts of the ones the rate limits dropped, and
// deletes the ones older than handlers.WebhookConfig.RefusedRetention with
// the counts of past days. At shutdown it writes the last counts.
func (s *Server) refusedDeliveries(ctx context.Context) {
	flush := time.NewTicker(refusedFlushEvery)
	defer flush.Stop()
	purge := time.NewTicker(refusedPurgeEvery)
	defer purge.Stop()
	s.purgeRefused(ctx)
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			s.flushRefused(fctx)
			return
		case <-flush.C:
			s.flushRefused(ctx)
		case <-purge.C:
			s.purgeRefused(ctx)
		}
	}
}

func (s *Server) flushRefused(ctx context.Context) {
	if err := s.h.FlushRefusedDrops(ctx); err != nil {
		s.cfg.Log.Warn("counting dropped refused deliveries failed", "err", err.Error())
	}
}

func (s *Server) purgeRefused(ctx context.Context) {
	if n, err := s.h.PurgeRefusedDeliveries(ctx, s.h.Now()); err != nil && ctx.Err() == nil {
		s.cfg.Log.Warn("deleting old refused deliveries failed", "err", err.Error())
	} else if n > 0 {
		s.cfg.Log.Info("deleted old refused deliveries", "count", n)
	}
}
