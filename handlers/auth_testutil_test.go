package handlers

import (
	"log/slog"
	"net/http/httptest"
)

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
