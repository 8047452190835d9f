package http

import (
	"context"
	"errors"
	"net/http"

	"github.com/fs-dev/fs/app"
	"github.com/fs-dev/fs/featurestore"
)

// Error codes the server adds to featurestore's.
const (
	EUNAUTHORIZED = "unauthorized" // no token, or a token the server does not know
	EDRAINING     = "draining"     // the server is stopping and takes no new work
	ECANCELED     = "canceled"     // the job was cancelled
)

// ErrorBody is an error on the wire: what fs prints as "fs: error:",
// its detail lines and its hint. Several problems at once (a definition
// file) come as Errors.
type ErrorBody struct {
	Code    string      `json:"code"`
	Message string      `json:"message"`
	Detail  []string    `json:"detail,omitempty"`
	Hint    string      `json:"hint,omitempty"`
	Errors  []ErrorBody `json:"errors,omitempty"`
}

// NewErrorBody is an error in its wire form, as the server sends it (and
// fs writes it with FS_ERRORS=json).
func NewErrorBody(err error) *ErrorBody { return errorBody(err) }

// errorBody turns an error into its wire form.
func errorBody(err error) *ErrorBody {
	var list featurestore.Errors
	if errors.As(err, &list) && len(list) > 1 {
		b := &ErrorBody{Code: featurestore.ErrorCode(list[0]), Message: err.Error()}
		for _, e := range list {
			b.Errors = append(b.Errors, *errorBody(e))
		}
		return b
	}
	if errors.Is(err, context.Canceled) {
		return &ErrorBody{Code: ECANCELED, Message: "cancelled; nothing was changed"}
	}
	b := &ErrorBody{Code: featurestore.ErrorCode(err), Message: err.Error(), Hint: featurestore.ErrorHint(err)}
	var fe *featurestore.Error
	if errors.As(err, &fe) {
		b.Detail = fe.Detail
	}
	return b
}

// Err turns a wire error back into the error fs would have returned
// locally: same message, code, detail and hint.
func (b *ErrorBody) Err() error {
	if len(b.Errors) > 0 {
		var list featurestore.Errors
		for i := range b.Errors {
			list = append(list, b.Errors[i].Err())
		}
		return list
	}
	if b.Code == ECANCELED {
		return context.Canceled
	}
	return &featurestore.Error{Code: b.Code, Message: b.Message, Detail: b.Detail, Hint: b.Hint}
}

// status is the HTTP status of an error code.
func status(code string) int {
	switch code {
	case featurestore.EINVALID, featurestore.EUSAGE:
		return http.StatusBadRequest
	case featurestore.ENOTFOUND:
		return http.StatusNotFound
	case featurestore.ECONFLICT:
		return http.StatusConflict
	case featurestore.ELOCKED:
		return http.StatusLocked
	case app.EFORBIDDEN:
		return http.StatusForbidden
	case EUNAUTHORIZED:
		return http.StatusUnauthorized
	case EDRAINING, featurestore.ENOSTORE: // ENOSTORE: storage the server needs is unreachable (Redis)
		return http.StatusServiceUnavailable
	case ECANCELED:
		return 499 // as nginx: the client closed the request
	case EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case EBUSY:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// Health is what GET /api/v1/health answers.
type Health struct {
	Status  string `json:"status"` // ok, or draining while the server stops
	Version string `json:"version"`
	Store   string `json:"store"`
}

// Notice is the response header carrying a warning or note of a request
// that is not a job, one line per header value.
const Notice = "Fs-Notice"

// API paths and the job states.
const (
	Prefix = "/api/v1"

	JobQueued    = "queued" // waiting for a turn
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)
