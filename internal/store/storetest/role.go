package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/anirohi/anirohi-api/internal/domain"
)

var userPerms = []string{domain.PermLibraryDelete, domain.PermLibraryRead, domain.PermLibraryWrite, domain.PermUserRead, domain.PermUserWrite}

// editorPerms are a user's and the catalog's, adminPerms an editor's and
// admin access, each sorted.
var (
	editorPerms = append([]string{domain.PermCatalogRead, domain.PermCatalogWrite}, userPerms...)
	adminPerms  = append([]string{domain.PermAdminAccess}, editorPerms...)
)

func testRoles(t *testing.T, open Opener) {
	t.Run("seeded roles carry the seeded permissions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		roles, err := s.Roles(t.Context())
		if err != nil {
			t.Fatalf("Roles() error = %v", err)
		}
		got := map[string][]string{}
		for _, r := range roles {
			got[r.Code] = r.Permissions
		}
		want := map[string][]string{
			domain.RoleAdmin:  adminPerms,
			domain.RoleEditor: editorPerms,
			domain.RoleUser:   userPerms,
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Roles() permissions mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("user access lists roles and permissions", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		tests := []struct {
			roles []string
			want  domain.Access
		}{
			{nil, domain.Access{Roles: []string{}, Permissions: []string{}}},
			{[]string{domain.RoleUser}, domain.Access{Roles: []string{domain.RoleUser}, Permissions: userPerms}},
			{[]string{domain.RoleEditor}, domain.Access{Roles: []string{domain.RoleEditor}, Permissions: editorPerms}},
			{[]string{domain.RoleUser, domain.RoleAdmin}, domain.Access{Roles: []string{domain.RoleAdmin, domain.RoleUser}, Permissions: adminPerms}},
			{[]string{domain.RoleUser, domain.RoleEditor, domain.RoleAdmin}, domain.Access{
				Roles:       []string{domain.RoleAdmin, domain.RoleEditor, domain.RoleUser},
				Permissions: adminPerms,
			}},
		}
		for _, tt := range tests {
			u := mustCreateUser(t, s, tt.roles...)
			got, err := s.UserAccess(t.Context(), u.ID)
			if err != nil {
				t.Fatalf("UserAccess() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("UserAccess(roles %v) mismatch (-want +got):\n%s", tt.roles, diff)
			}
		}
	})

	t.Run("access of an unknown user is not found", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.UserAccess(t.Context(), 424242)
		wantKind(t, "UserAccess(unknown)", err, domain.KindNotFound)
	})
}
