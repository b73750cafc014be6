package sim

import (
	"container/heap"
	"time"
)

// Kinds of background job.
const (
	jobAttempt = iota + 1 // send one notification attempt; ref is a delivery ID
	jobClose              // close an unpaid order; ref is a paymentRequestId
)

// job is work the Run loop does at a simulated time.
type job struct {
	due  time.Time
	seq  int // breaks ties in the order jobs were scheduled
	kind int
	ref  string
}

// jobQueue is a min-heap of jobs by due time. It is guarded by Simulator.mu.
type jobQueue struct {
	h   jobHeap
	seq int
}

func (q *jobQueue) push(j job) {
	q.seq++
	j.seq = q.seq
	heap.Push(&q.h, j)
}

// popDue removes and returns every job due at or before now, earliest first.
func (q *jobQueue) popDue(now time.Time) []job {
	var out []job
	for len(q.h) > 0 && !q.h[0].due.After(now) {
		out = append(out, heap.Pop(&q.h).(job))
	}
	return out
}

// next returns the due time of the earliest job.
func (q *jobQueue) next() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].due, true
}

type jobHeap []job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(job)) }
func (h *jobHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}
