package passkey

import (
	"html/template"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/loginui/internal/feature"
	"github.com/gatehouse/gatehouse/loginui/internal/web"
)

// The /account section "Passkeys": the list (name, created, last used, a
// remove form each), a step-up button, and the "Add a passkey" form whose
// button runs the registration through the JSON API. Element ids are
// stable (the browser test drives them).

type rowView struct {
	ID, Name, Created, LastUsed string
}

type sectionView struct {
	CSRF      string
	Rows      []rowView
	CanAdd    bool
	NeedLogin bool // enabled, but this session may not add one
}

// SectionTitle implements feature.Section.
func (f *Feature) SectionTitle() string { return "Passkeys" }

// Framed implements feature.FramedSection: <section id="passkeys">.
func (f *Feature) Framed() {}

// RenderSection implements feature.Section. It shows nothing when
// passkeys are off and the user has none.
func (f *Feature) RenderSection(r *http.Request, c *feature.Caller, csrf string) (template.HTML, bool, error) {
	ctx, cancel := feature.StoreCtx(r)
	defer cancel()
	pks, err := f.c.Passkeys.ListUserPasskeys(ctx, c.User.ID)
	if err != nil {
		return "", false, err
	}
	if len(pks) == 0 && !f.c.Enabled {
		return "", false, nil
	}
	v := sectionView{CSRF: csrf, CanAdd: f.mayRegister(c) == nil}
	v.NeedLogin = f.c.Enabled && !v.CanAdd
	for _, p := range pks {
		pv := viewOf(p)
		row := rowView{ID: pv.ID, Name: p.Name, Created: p.CreatedAt.UTC().Format(time.DateOnly), LastUsed: "never"}
		if pv.LastUsedAt != nil {
			row.LastUsed = pv.LastUsedAt.Format(time.DateTime) + " UTC"
		}
		v.Rows = append(v.Rows, row)
	}
	h, err := section.Execute("passkey_section", v)
	return h, err == nil, err
}

// pageRemove: POST /account/passkeys/remove {csrf, id}; it needs a
// step-up proof, as the JSON route does.
func (f *Feature) pageRemove(w http.ResponseWriter, r *http.Request) error {
	c, csrf, ok := f.h.PageCaller(w, r, "/account")
	if !ok {
		return nil
	}
	if err := f.remove(r, c, r.PostForm.Get("id")); err != nil {
		e := web.As(err)
		if e.Status == http.StatusServiceUnavailable {
			return web.Unavailable
		}
		feature.RetryAfter(w, e)
		return f.h.RenderAccount(w, r, c, feature.AccountView{CSRF: csrf, Status: e.Status, Error: e.Detail})
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/account?done=passkey_removed", http.StatusSeeOther)
	return nil
}
