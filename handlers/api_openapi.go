package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the app API's OpenAPI 3.1 document. A test checks it
// against the route table (every /api/v1 route documented with its method,
// every documented operation routed) and against the handlers' codes.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the app API's OpenAPI 3.1 document (JSON).
func OpenAPIDocument() []byte { return openAPIDocument }

// APIOpenAPI handles the "GET /api/v1/openapi.json" route: the document,
// without authentication, so tools can fetch it.
func (h *Handlers) APIOpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, openAPIDocument)
}
