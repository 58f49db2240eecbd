package app

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/anirohi/anirohi-api/internal/domain"
)

// CatalogAdmin is what editors do to the catalog (D11 "Catalog admin").
// Every mutation is validated as an import is, audited in its own
// transaction, and drops the cached catalog answers before it returns.
type CatalogAdmin struct {
	store   domain.CatalogAdminStore
	catalog *Catalog // the clock, the text folding and the cache drop

	dashboard singleflight.Group // one computation at a time
	mu        sync.Mutex
	last      domain.Dashboard // the latest dashboard, computed at lastAt
	lastAt    time.Time
	edits     uint64 // changes made here: a dashboard begun before one is not kept
}

// DashboardTTL is how long a dashboard is served again before it is
// computed anew (its counts sum a row per anime); an editor's change on
// this instance drops it at once.
const DashboardTTL = 2 * time.Second

// NewCatalogAdmin returns the editors' use cases over the catalog's.
func NewCatalogAdmin(store domain.CatalogAdminStore, catalog *Catalog) *CatalogAdmin {
	return &CatalogAdmin{store: store, catalog: catalog}
}

// Edit says who makes a change, for its audit row.
type Edit struct {
	Actor   domain.Principal
	TraceID string
}

func (e Edit) audit(action, targetType, targetID string) *domain.AuditEntry {
	return &domain.AuditEntry{ActorID: e.Actor.UserID, Action: action, TargetType: targetType, TargetID: targetID, TraceID: e.TraceID}
}

// AdminAnimeQuery is an editor's list request, Search as typed.
type AdminAnimeQuery struct {
	Search        string
	Active        *bool
	SourceName    string
	Offset, Limit int
}

// AnimeList pages through every anime, searched as the public list is.
func (c *CatalogAdmin) AnimeList(ctx context.Context, q AdminAnimeQuery) ([]domain.Anime, int, error) {
	sq := domain.AdminAnimeQuery{Active: q.Active, SourceName: q.SourceName, Offset: q.Offset, Limit: q.Limit}
	if q.Search != "" {
		if sq.Search = c.catalog.text.Fold(q.Search); sq.Search == "" {
			return []domain.Anime{}, 0, nil
		}
	}
	return c.store.AdminAnimeList(ctx, sq)
}

// Anime returns an anime in any state.
func (c *CatalogAdmin) Anime(ctx context.Context, id string) (domain.Anime, error) {
	if !domain.ValidUUID(id) {
		return domain.Anime{}, errNoAnime
	}
	return c.store.AnimeByID(ctx, id)
}

var (
	errNoAnime   = domain.E(domain.KindNotFound, "Anime not found")
	errNoEpisode = domain.E(domain.KindNotFound, "Episode not found")
	errNoVideo   = domain.E(domain.KindNotFound, "Video source not found")
	errSlug      = domain.FieldError{Field: "slug", Message: "must match [a-z0-9]+(-[a-z0-9]+)* and be at most 200 characters"}
)

// CreateAnime adds an anime of source "manual" (its source id is its id).
// slug "" derives one from the titles as imports do; a given slug must be
// free (else KindConflict).
func (c *CatalogAdmin) CreateAnime(ctx context.Context, e Edit, a domain.AnimeImport, slug string) (domain.Anime, error) {
	a = c.catalog.derive(a)
	a.SourceName, a.SourceID = domain.ManualSource, a.NewID
	errs := a.Check()
	if slug != "" && !domain.ValidSlug(slug) {
		errs = append(errs, errSlug)
	}
	if len(errs) > 0 {
		return domain.Anime{}, domain.Invalid(errs...)
	}
	if slug != "" {
		a.SlugBase = slug
	}
	out, err := c.store.CreateAnime(ctx, a, slug != "", c.catalog.clock.Now(), e.audit(domain.ActionAnimeCreate, domain.AuditTargetAnime, ""))
	return done(ctx, c, out, err)
}

// AnimeChange is an editor's change of an anime as sent; nil and unset
// fields keep their values.
type AnimeChange struct {
	Title, Slug *string
	Description domain.Change[string]
	Year        domain.Change[int]
	Status      domain.Change[string]
	Poster      domain.Change[string]
	Active      *bool
}

func (ch AnimeChange) check() []domain.FieldError {
	var errs []domain.FieldError
	if ch.Title != nil {
		errs = append(errs, domain.CheckName("title", *ch.Title, domain.MaxTitleLen)...)
	}
	if ch.Slug != nil && !domain.ValidSlug(*ch.Slug) {
		errs = append(errs, errSlug)
	}
	return append(errs, domain.CheckAnimeDetails(ch.Description.Value, ch.Year.Value, ch.Status.Value, ch.Poster.Value)...)
}

// UpdateAnime applies an editor's change; a new title refolds the names
// the list and search use.
func (c *CatalogAdmin) UpdateAnime(ctx context.Context, e Edit, id string, ch AnimeChange) (domain.Anime, error) {
	if errs := ch.check(); len(errs) > 0 {
		return domain.Anime{}, domain.Invalid(errs...)
	}
	if !domain.ValidUUID(id) {
		return domain.Anime{}, errNoAnime
	}
	p := domain.AnimePatch{Slug: ch.Slug, Description: ch.Description, Year: ch.Year, Status: ch.Status, Poster: ch.Poster, Active: ch.Active}
	if ch.Title != nil {
		cur, err := c.Anime(ctx, id)
		if err != nil {
			return domain.Anime{}, err
		}
		names := c.catalog.Names(*ch.Title, cur.AlternativeTitles)
		p.Title, p.Names = ch.Title, &names
	}
	out, err := c.store.UpdateAnime(ctx, id, p, c.catalog.clock.Now(), e.audit(domain.ActionAnimeUpdate, domain.AuditTargetAnime, id))
	return done(ctx, c, out, err)
}

// Episodes lists every episode of an anime, with the anime.
func (c *CatalogAdmin) Episodes(ctx context.Context, animeID string) (domain.Anime, []domain.AdminEpisode, error) {
	a, err := c.Anime(ctx, animeID)
	if err != nil {
		return a, nil, err
	}
	eps, err := c.store.AdminEpisodes(ctx, animeID)
	return a, eps, err
}

// CreateEpisode adds an episode to an anime.
func (c *CatalogAdmin) CreateEpisode(ctx context.Context, e Edit, ep domain.NewEpisode) (domain.AdminEpisode, error) {
	errs := domain.EpisodeImport{SourceEpisodeID: ep.SourceEpisodeID, Number: ep.Number, Title: ep.Title}.Check()
	if len(errs) > 0 {
		return domain.AdminEpisode{}, domain.Invalid(errs...)
	}
	if !domain.ValidUUID(ep.AnimeID) {
		return domain.AdminEpisode{}, errNoAnime
	}
	out, err := c.store.CreateEpisode(ctx, ep, c.catalog.clock.Now(), e.audit(domain.ActionEpisodeCreate, domain.AuditTargetEpisode, ""))
	return done(ctx, c, out, err)
}

// UpdateEpisode applies an editor's change of an episode.
func (c *CatalogAdmin) UpdateEpisode(ctx context.Context, e Edit, id string, p domain.EpisodePatch) (domain.AdminEpisode, error) {
	var errs []domain.FieldError
	if p.Number != nil {
		errs = domain.CheckRange("number", *p.Number, 0, domain.MaxEpisodeNumber)
	}
	if v := p.Title.Value; v != nil {
		errs = append(errs, domain.CheckText("title", *v, domain.MaxTitleLen, false)...)
	}
	if len(errs) > 0 {
		return domain.AdminEpisode{}, domain.Invalid(errs...)
	}
	return c.changeEpisode(ctx, id, func(id string) (domain.AdminEpisode, error) {
		return c.store.UpdateEpisode(ctx, id, p, c.catalog.clock.Now(), e.audit(domain.ActionEpisodeUpdate, domain.AuditTargetEpisode, id))
	})
}

// AttachEpisode moves an episode to another anime.
func (c *CatalogAdmin) AttachEpisode(ctx context.Context, e Edit, id, animeID string) (domain.AdminEpisode, error) {
	if !domain.ValidUUID(animeID) {
		return domain.AdminEpisode{}, errNoAnime
	}
	return c.changeEpisode(ctx, id, func(id string) (domain.AdminEpisode, error) {
		return c.store.AttachEpisode(ctx, id, animeID, c.catalog.clock.Now(), e.audit(domain.ActionEpisodeAttach, domain.AuditTargetEpisode, id))
	})
}

// MaxReasonLen bounds a detach's reason.
const MaxReasonLen = 1000

// DetachEpisode takes an episode off the site, keeping why in its audit row.
func (c *CatalogAdmin) DetachEpisode(ctx context.Context, e Edit, id string, reason *string) (domain.AdminEpisode, error) {
	audit := e.audit(domain.ActionEpisodeDetach, domain.AuditTargetEpisode, id)
	if reason != nil {
		if errs := domain.CheckText("reason", *reason, MaxReasonLen, true); len(errs) > 0 {
			return domain.AdminEpisode{}, domain.Invalid(errs...)
		}
		audit.Changes = map[string]any{"reason": *reason}
	}
	inactive := false
	return c.changeEpisode(ctx, id, func(id string) (domain.AdminEpisode, error) {
		return c.store.UpdateEpisode(ctx, id, domain.EpisodePatch{Active: &inactive}, c.catalog.clock.Now(), audit)
	})
}

func (c *CatalogAdmin) changeEpisode(ctx context.Context, id string, change func(string) (domain.AdminEpisode, error)) (domain.AdminEpisode, error) {
	if !domain.ValidUUID(id) {
		return domain.AdminEpisode{}, errNoEpisode
	}
	out, err := change(id)
	return done(ctx, c, out, err)
}

// Videos lists every source of an episode and the episode's number.
func (c *CatalogAdmin) Videos(ctx context.Context, episodeID string) ([]domain.VideoSource, int, error) {
	if !domain.ValidUUID(episodeID) {
		return nil, 0, errNoEpisode
	}
	return c.store.AdminVideos(ctx, episodeID)
}

// CreateVideo adds a source to an episode.
func (c *CatalogAdmin) CreateVideo(ctx context.Context, e Edit, v domain.VideoSource) (domain.VideoSource, error) {
	if errs := domain.CheckVideoFields(&v.Type, &v.URL, &v.SourceName, &v.Priority); len(errs) > 0 {
		return domain.VideoSource{}, domain.Invalid(errs...)
	}
	if !domain.ValidUUID(v.EpisodeID) {
		return domain.VideoSource{}, errNoEpisode
	}
	v.Type, _ = domain.VideoType(v.Type)
	out, err := c.store.CreateVideo(ctx, v, c.catalog.clock.Now(), e.audit(domain.ActionVideoCreate, domain.AuditTargetVideo, ""))
	return done(ctx, c, out, err)
}

// UpdateVideo applies an editor's change of a source; state true audits
// it as a state change (is_active and priority only).
func (c *CatalogAdmin) UpdateVideo(ctx context.Context, e Edit, id string, p domain.VideoPatch, state bool) (domain.VideoSource, error) {
	if errs := domain.CheckVideoFields(p.Type, p.URL, p.SourceName, p.Priority); len(errs) > 0 {
		return domain.VideoSource{}, domain.Invalid(errs...)
	}
	if p.Type != nil {
		t, _ := domain.VideoType(*p.Type)
		p.Type = &t
	}
	if !domain.ValidUUID(id) {
		return domain.VideoSource{}, errNoVideo
	}
	action := domain.ActionVideoUpdate
	if state {
		action = domain.ActionVideoState
	}
	out, err := c.store.UpdateVideo(ctx, id, p, c.catalog.clock.Now(), e.audit(action, domain.AuditTargetVideo, id))
	return done(ctx, c, out, err)
}

// DeleteVideo removes a source, its fields kept in the audit row.
func (c *CatalogAdmin) DeleteVideo(ctx context.Context, e Edit, id string) error {
	if !domain.ValidUUID(id) {
		return errNoVideo
	}
	_, err := done(ctx, c, struct{}{}, c.store.DeleteVideo(ctx, id, c.catalog.clock.Now(), e.audit(domain.ActionVideoDelete, domain.AuditTargetVideo, id)))
	return err
}

// Dashboard is the catalog at a glance, at most DashboardTTL old.
func (c *CatalogAdmin) Dashboard(ctx context.Context) (domain.Dashboard, error) {
	c.mu.Lock()
	d, fresh := c.last, c.catalog.clock.Now().Sub(c.lastAt) < DashboardTTL
	c.mu.Unlock()
	if fresh {
		return d, nil
	}
	v, err, _ := c.dashboard.Do("", func() (any, error) {
		c.mu.Lock()
		at, edits := c.catalog.clock.Now(), c.edits
		c.mu.Unlock()
		d, err := c.store.Dashboard(ctx)
		c.mu.Lock()
		if err == nil && edits == c.edits {
			c.last, c.lastAt = d, at
		}
		c.mu.Unlock()
		return d, err
	})
	return v.(domain.Dashboard), err
}

// done drops the cached catalog answers and the dashboard after a change
// that succeeded.
func done[T any](ctx context.Context, c *CatalogAdmin, out T, err error) (T, error) {
	if err == nil {
		c.catalog.changed(ctx)
		c.dashboard.Forget("")
		c.mu.Lock()
		c.lastAt, c.edits = time.Time{}, c.edits+1
		c.mu.Unlock()
	}
	return out, err
}
