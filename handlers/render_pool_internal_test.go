package handlers

import (
	"bytes"
	"testing"
)

// render's pool keeps page-sized buffers, empty, and never one a huge page
// grew past maxPooledRender.
func TestRenderBufferPoolBound(t *testing.T) {
	small := renderBuffers.Get().(*bytes.Buffer)
	small.WriteString("<p>page</p>")
	putRenderBuffer(small)
	if b := renderBuffers.Get().(*bytes.Buffer); b.Len() != 0 {
		t.Errorf("a pooled buffer holds %q, want it empty", b.String())
	}

	big := renderBuffers.Get().(*bytes.Buffer)
	big.Grow(maxPooledRender + 1)
	putRenderBuffer(big)
	for range 10 {
		if b := renderBuffers.Get().(*bytes.Buffer); b.Cap() > maxPooledRender {
			t.Fatalf("the pool gave back a %d-byte buffer; at most %d are kept", b.Cap(), maxPooledRender)
		}
	}
}
