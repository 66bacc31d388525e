package feature

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"sync"

	"github.com/gatehouse/gatehouse/keystore"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// Shell is what the portal's page shell (base.html) reads; a feature's
// page data embeds it.
type Shell struct {
	Title, CSRF, Error, Notice string
	User                       *keystore.User
	RegistrationOpen           bool
}

// Pages is a feature's set of full pages: templates/<name>.html of FS,
// each parsed with the portal's page shell (Host.ParsePage) on first use.
type Pages struct {
	FS    fs.FS
	Names []string

	once sync.Once
	t    map[string]*template.Template
	err  error
}

// parse parses every page once.
func (p *Pages) parse(h Host) (map[string]*template.Template, error) {
	p.once.Do(func() {
		p.t = map[string]*template.Template{}
		for _, n := range p.Names {
			t, err := h.ParsePage(p.FS, "templates/"+n+".html")
			if err != nil {
				p.err = err
				return
			}
			p.t[n] = t
		}
	})
	return p.t, p.err
}

// Render answers page name with status and d (web.WritePage); a template
// that does not parse or execute is a 500, logged by page name.
func (p *Pages) Render(h Host, w http.ResponseWriter, status int, name string, d any) {
	ts, err := p.parse(h)
	if err == nil {
		err = web.WritePage(w, ts[name], status, d)
	} else {
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
	if err != nil {
		h.Log().Error().Str("component", "loginui").Str("page", name).Msg("page rendering failed")
	}
}

// RetryAfter sets the Retry-After header an error asks for (a page
// answering the error in its own form).
func RetryAfter(w http.ResponseWriter, e *web.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

// Fragments are a feature's page parts (an /account section, a part of
// the login page): the templates files of FS, parsed on first use.
type Fragments struct {
	FS    fs.FS
	Files []string

	once sync.Once
	t    *template.Template
	err  error
}

// Execute renders the template name with data as trusted HTML.
func (f *Fragments) Execute(name string, data any) (template.HTML, error) {
	f.once.Do(func() { f.t, f.err = template.ParseFS(f.FS, f.Files...) })
	if f.err != nil {
		return "", f.err
	}
	var buf bytes.Buffer
	if err := f.t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// Form is the part of a password form's page data that Forms fills in:
// the shell and the password bounds the form states.
type Form struct {
	Shell
	MinLen, MaxLen int
}

func (d *Form) form() *Form { return d }

// FormData is page data that embeds Form.
type FormData interface{ form() *Form }

// Forms are a feature's pages whose forms set a password: Pages plus the
// bounds they state.
type Forms struct {
	Pages
	MinLen, MaxLen int
}

// Render answers page name with status and d, the shell's registration
// link and the password bounds filled in.
func (f *Forms) Render(h Host, w http.ResponseWriter, status int, name string, d FormData) {
	fd := d.form()
	fd.RegistrationOpen = h.RegistrationOpen()
	fd.MinLen, fd.MaxLen = f.MinLen, f.MaxLen
	f.Pages.Render(h, w, status, name, d)
}

// RenderError answers page name showing e: its status, detail and
// Retry-After.
func (f *Forms) RenderError(h Host, w http.ResponseWriter, e *web.Error, name string, d FormData) {
	RetryAfter(w, e)
	d.form().Error = e.Detail
	f.Render(h, w, e.Status, name, d)
}
