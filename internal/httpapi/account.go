package httpapi

import (
	"errors"
	"net/http"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password" required:"true"`
	NewPassword     string `json:"new_password" required:"true"`
}

func handleChangePassword(auth *app.Auth, guard passwordGuard) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[changePasswordRequest](r)
		if err != nil {
			return err
		}
		err = guarded(r, w, auth, guard, func() error {
			return auth.ChangePassword(r.Context(), principal(r), in.CurrentPassword, in.NewPassword)
		})
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{"Password changed"})
	})
}

func handleDeleteAccount(auth *app.Auth, cookies cookieJar, guard passwordGuard) http.Handler {
	type request struct {
		Password string `json:"password" required:"true"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		err = guarded(r, w, auth, guard, func() error { return auth.DeleteAccount(r.Context(), principal(r), in.Password) })
		if err != nil {
			return err
		}
		cookies.clear(w)
		return encode(w, http.StatusOK, message{"Account deleted"})
	})
}

// guarded runs a use case that checks the caller's current password under
// the failed-password policy of logins, so that a stolen access token is
// no faster a way to guess the password than the login form.
func guarded(r *http.Request, w http.ResponseWriter, auth *app.Auth, guard passwordGuard, check func() error) error {
	st, err := auth.Me(r.Context(), principal(r))
	if err != nil {
		return err
	}
	b := guard.bucketFor(r, domain.EmailKey(st.User.Email))
	if err := guard.check(w, r, b); err != nil {
		return err
	}
	err = check()
	if errors.Is(err, app.ErrWrongPassword) {
		guard.failed(r.Context(), b)
	}
	return err
}
