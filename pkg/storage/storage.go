// Package storage is the narrow interface between the apiserver's registry and the
// database: create, get, list, watch, update and delete API objects by key, with
// resourceVersions that come from the store. Its one implementation is package
// storage/etcd; only the apiserver imports either.
package storage

import (
	"context"
	"errors"
	"fmt"

	"skiff/pkg/api"
)

// Errors returned by every implementation. Callers test them with errors.Is; the
// apiserver translates them into API Status errors in one place.
var (
	ErrNotFound      = errors.New("storage: not found")
	ErrAlreadyExists = errors.New("storage: already exists")
	// ErrConflict means a precondition (uid or resourceVersion) did not hold.
	ErrConflict = errors.New("storage: precondition failed")
	// ErrCompacted means the requested resourceVersion is older than the store keeps.
	ErrCompacted = errors.New("storage: resource version compacted")
	// ErrInvalidContinue means a continue token could not be decoded.
	ErrInvalidContinue = errors.New("storage: invalid continue token")
	// ErrInvalidResourceVersion means a resourceVersion is not a number.
	ErrInvalidResourceVersion = errors.New("storage: invalid resource version")
	// ErrTooLargeResourceVersion means a resourceVersion newer than the store's was asked for.
	ErrTooLargeResourceVersion = errors.New("storage: resource version is newer than the store")
)

// Predicate decides whether an object belongs in a list or watch. A nil Predicate
// matches everything.
type Predicate func(api.Object) bool

// Matches reports whether obj passes p.
func (p Predicate) Matches(obj api.Object) bool { return p == nil || p(obj) }

// ListOptions shape a List.
type ListOptions struct {
	// ResourceVersion "" or "0" reads the latest state; with ExactRV, a number reads
	// the state at that revision.
	ResourceVersion string
	ExactRV         bool
	// Limit caps the number of items; the result's Continue resumes after them.
	Limit    int64
	Continue string
	// Predicate filters items; Limit counts only the items that pass.
	Predicate Predicate
}

// ListResult is a page of objects read at one revision.
type ListResult struct {
	Items           []api.Object
	ResourceVersion uint64
	Continue        string
	// RemainingItemCount is set only when there is no predicate and there are more items.
	RemainingItemCount *int64
}

// WatchOptions shape a Watch.
type WatchOptions struct {
	// ResourceVersion: "" or "0" sends the current state as ADDED events first, then
	// changes; a number sends changes after that revision.
	ResourceVersion string
	// SendInitialEvents forces the initial ADDED events, ending with a bookmark that
	// carries InitialEventsEnd.
	SendInitialEvents bool
	// Bookmarks asks for periodic BOOKMARK events carrying the latest revision.
	Bookmarks bool
	Predicate Predicate
}

// Event is one change seen by a watch. For Deleted events Object is the last state
// of the object with the resourceVersion of the deletion. An Error event carries
// Err (for example ErrCompacted) and ends the stream.
type Event struct {
	Type             string // api.Added, api.Modified, api.Deleted, api.Bookmark or api.Error
	Object           api.Object
	ResourceVersion  uint64
	InitialEventsEnd bool
	Err              error
}

// Preconditions must hold for an update or delete to happen.
type Preconditions struct {
	UID             string
	ResourceVersion string
}

// UpdateFunc computes the new state of an object from its current state. It may be
// called several times if other writers race; it must not keep the current object.
type UpdateFunc func(current api.Object) (api.Object, error)

// Interface stores the objects of one resource. Keys are relative to the resource:
// "namespace/name" or "name". Every method is safe for concurrent use, honours ctx,
// and sets metadata.resourceVersion on the objects it returns.
type Interface interface {
	// Create stores obj under key and sets its resourceVersion. ErrAlreadyExists if
	// the key is taken.
	Create(ctx context.Context, key string, obj api.Object) error
	// Get returns the object at key, or ErrNotFound.
	Get(ctx context.Context, key string) (api.Object, error)
	// List returns the objects under prefix ("" for all, "namespace/" for one namespace).
	List(ctx context.Context, prefix string, opts ListOptions) (*ListResult, error)
	// Watch streams changes under prefix (or one key). The channel is closed when
	// ctx ends or after an Error event.
	Watch(ctx context.Context, prefix string, opts WatchOptions) (<-chan Event, error)
	// GuaranteedUpdate reads the object at key, calls tryUpdate and writes the
	// result if the object did not change meanwhile, retrying otherwise. If the
	// result encodes the same as the current object nothing is written.
	GuaranteedUpdate(ctx context.Context, key string, pre *Preconditions, tryUpdate UpdateFunc) (api.Object, error)
	// Delete removes the object at key if pre holds and validate (if not nil)
	// accepts its current state, and returns that last state.
	Delete(ctx context.Context, key string, pre *Preconditions, validate func(current api.Object) error) (api.Object, error)
}

// CheckPreconditions returns an error wrapping ErrConflict if cur does not satisfy pre.
func CheckPreconditions(pre *Preconditions, cur api.Object) error {
	if pre == nil {
		return nil
	}
	m := cur.GetObjectMeta()
	if pre.UID != "" && pre.UID != m.UID {
		return fmt.Errorf("%w: the UID in the precondition (%s) does not match the UID in record (%s); the object might have been deleted and then recreated",
			ErrConflict, pre.UID, m.UID)
	}
	if pre.ResourceVersion != "" && pre.ResourceVersion != m.ResourceVersion {
		return fmt.Errorf("%w: the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%s); the object might have been modified",
			ErrConflict, pre.ResourceVersion, m.ResourceVersion)
	}
	return nil
}

// RawLister is an optional ability of a store, found by type assertion: listing
// objects as JSON with their resourceVersions set, without decoding them. The
// apiserver serves plain JSON lists with it. match chooses items by their JSON
// (nil for all); ListOptions.Predicate is not used.
type RawLister interface {
	ListRaw(ctx context.Context, prefix string, opts ListOptions, match func(json []byte) bool) (*RawListResult, error)
}

// RawListResult is a page of objects as JSON, read at one revision.
type RawListResult struct {
	Items              [][]byte
	ResourceVersion    uint64
	Continue           string
	RemainingItemCount *int64
}
