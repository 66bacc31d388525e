package web

import "net/http"

// Handler serves one request and returns what went wrong, if anything.
// A handler that returns an error has written nothing yet.
type Handler func(w http.ResponseWriter, r *http.Request) error

// JSON adapts h for the JSON API: an error is answered with its status,
// headers and {"code","detail"} body (see As for errors that are not an
// *Error).
func JSON(h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			As(err).WriteJSON(w)
		}
	}
}

// ErrorPager renders an error as an HTML page. The portal core implements
// it, since the templates are its own.
type ErrorPager interface {
	ErrorPage(w http.ResponseWriter, r *http.Request, e *Error)
}

// ErrorPagerFunc adapts a function to ErrorPager.
type ErrorPagerFunc func(w http.ResponseWriter, r *http.Request, e *Error)

// ErrorPage calls f.
func (f ErrorPagerFunc) ErrorPage(w http.ResponseWriter, r *http.Request, e *Error) { f(w, r, e) }

// Page adapts h for an HTML route: an error is rendered by pages.
func Page(pages ErrorPager, h Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			pages.ErrorPage(w, r, As(err))
		}
	}
}
