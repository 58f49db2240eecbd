package domain

import (
	"context"
	"time"
)

// Permissions and role of catalog editors (migration 00004).
const (
	PermCatalogRead  = "catalog:read"
	PermCatalogWrite = "catalog:write"
	RoleEditor       = "editor"
)

// Audit actions and targets of catalog edits.
const (
	ActionAnimeCreate   = "anime.create"
	ActionAnimeUpdate   = "anime.update"
	ActionEpisodeCreate = "episode.create"
	ActionEpisodeUpdate = "episode.update"
	ActionEpisodeAttach = "episode.attach"
	ActionEpisodeDetach = "episode.detach"
	ActionVideoCreate   = "video_source.create"
	ActionVideoUpdate   = "video_source.update"
	ActionVideoState    = "video_source.state"
	ActionVideoDelete   = "video_source.delete"
	AuditTargetAnime    = "anime"
	AuditTargetEpisode  = "episode"
	AuditTargetVideo    = "video_source"
)

// ManualSource is the source name of what editors create.
const ManualSource = "manual"

// Change is an optional change of a nullable field: Set false keeps the
// stored value; otherwise Value replaces it (nil clears it).
type Change[T any] struct {
	Set   bool
	Value *T
}

// AnimePatch is an editor's change of an anime; nil and unset fields keep
// their values. Names must come with Title (the store keeps them together).
type AnimePatch struct {
	Title       *string
	Names       *Names
	Slug        *string
	Description Change[string]
	Year        Change[int]
	Status      Change[string]
	Poster      Change[string]
	Active      *bool
}

// EpisodePatch is an editor's change of an episode.
type EpisodePatch struct {
	Number *int
	Title  Change[string]
	Active *bool
}

// VideoPatch is an editor's change of a video source.
type VideoPatch struct {
	Type       *string
	URL        *string
	SourceName *string
	Priority   *int
	Active     *bool
}

// NewEpisode is an episode an editor creates.
type NewEpisode struct {
	AnimeID         string
	Number          int
	Title           *string
	SourceEpisodeID string
	Active          bool
}

// AdminEpisode is an episode as editors see it.
type AdminEpisode struct {
	Episode
	HasVideo bool // an active source exists
}

// AdminAnimeQuery pages through the catalog for editors, most recently
// updated first.
type AdminAnimeQuery struct {
	Search        string // folded search text, "" for all
	Active        *bool  // nil for all
	SourceName    string // "" for all
	Offset, Limit int
}

// Dashboard is the catalog at a glance, and the anime editors work from.
type Dashboard struct {
	TotalAnime, ActiveAnime, InactiveAnime int
	TotalEpisodes, InactiveEpisodes        int
	TotalSources                           int
	SourcesByName                          []NamedCount // by count, then name
	RecentAnime                            []Anime      // the 5 newest
	RecentEpisodes                         []Episode    // the 5 newest
	WithoutSource                          int          // active anime without an active source
	WithoutSourceAnime                     []Anime      // the first 20 of them, by title
}

// NamedCount is a count of something named.
type NamedCount struct {
	Name  string
	Count int
}

// CatalogAdminStore is what editors change. Every change marks what it
// changed AdminModified (imports no longer overwrite it) and sets its
// UpdatedAt; a change that changes nothing writes nothing of the row. Each
// method writes its audit entry (Changes filled in: {field: {old, new}}
// with JSON-typed values, {} for no change; what the entry already holds,
// such as a detach's reason, is kept; an empty TargetID becomes the id of
// what was created) in the same transaction, so a failed change leaves no
// audit row. Unknown ids are KindNotFound ("Anime
// not found", "Episode not found", "Video source not found").
type CatalogAdminStore interface {
	// AdminAnimeList returns a page of every anime (active or not) and the
	// count of all that match.
	AdminAnimeList(ctx context.Context, q AdminAnimeQuery) ([]Anime, int, error)
	// AnimeByID returns an anime in any state.
	AnimeByID(ctx context.Context, id string) (Anime, error)
	// CreateAnime stores a new anime as ImportAnime does, marked
	// AdminModified: its slug is SlugBase itself when exactSlug
	// (KindConflict when another anime has or had it), else the first free
	// of SlugBase, SlugBase-1, …; KindConflict when its source id is taken.
	CreateAnime(ctx context.Context, a AnimeImport, exactSlug bool, now time.Time, audit *AuditEntry) (Anime, error)
	// UpdateAnime applies the patch; a new slug must be free of every
	// other anime's slugs, current and former (else KindConflict), and the
	// old one keeps leading to the anime.
	UpdateAnime(ctx context.Context, id string, p AnimePatch, now time.Time, audit *AuditEntry) (Anime, error)
	// AdminEpisodes lists every episode of the anime (active or not) by
	// Number, then ID; KindNotFound for an unknown anime.
	AdminEpisodes(ctx context.Context, animeID string) ([]AdminEpisode, error)
	// CreateEpisode adds an episode to an anime; KindConflict when the
	// anime has one of that SourceEpisodeID.
	CreateEpisode(ctx context.Context, e NewEpisode, now time.Time, audit *AuditEntry) (AdminEpisode, error)
	UpdateEpisode(ctx context.Context, id string, p EpisodePatch, now time.Time, audit *AuditEntry) (AdminEpisode, error)
	// AttachEpisode moves an episode to another anime (KindNotFound for an
	// unknown one); the parser keeps finding it under the anime it filed it
	// under, so a re-import does not make it again.
	AttachEpisode(ctx context.Context, id, animeID string, now time.Time, audit *AuditEntry) (AdminEpisode, error)
	// AdminVideos lists every source of the episode (active or not) by
	// Priority descending, then ID, and the episode's number.
	AdminVideos(ctx context.Context, episodeID string) ([]VideoSource, int, error)
	// CreateVideo adds a source to an episode; KindConflict when the
	// episode has one of that SourceName and URL.
	CreateVideo(ctx context.Context, v VideoSource, now time.Time, audit *AuditEntry) (VideoSource, error)
	UpdateVideo(ctx context.Context, id string, p VideoPatch, now time.Time, audit *AuditEntry) (VideoSource, error)
	DeleteVideo(ctx context.Context, id string, now time.Time, audit *AuditEntry) error
	Dashboard(ctx context.Context) (Dashboard, error)
}
