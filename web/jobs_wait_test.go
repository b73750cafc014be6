package web

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"paydesk/handlers"
	"paydesk/store"
)

// TestJobsWait: background jobs start only once Config.JobsWait returned
// nil; when it fails they never start, and shutdown still ends cleanly.
func TestJobsWait(t *testing.T) {
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := handlers.New(handlers.Deps{Store: st, Auth: handlers.AuthConfig{SessionKey: []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD")}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		waitErr error
	}{{"released", nil}, {"refused", errors.New("schema newer")}} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			var waited atomic.Bool
			s, err := New(Config{JobsWait: func(ctx context.Context) error {
				<-release
				waited.Store(true)
				return tc.waitErr
			}}, h)
			if err != nil {
				t.Fatal(err)
			}
			ran := make(chan bool, 1)
			s.jobs = nil // only the job under test
			s.AddJob(Job{Name: "probe", Run: func(ctx context.Context) { ran <- waited.Load() }})
			s.StartJobs()
			close(release)
			if tc.waitErr == nil {
				if afterWait := <-ran; !afterWait {
					t.Error("the job ran before JobsWait returned")
				}
			}
			if err := s.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ran:
				t.Error("the job ran although JobsWait failed")
			default:
			}
		})
	}
}
