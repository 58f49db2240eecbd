package httpapi

import (
	"net/http"

	"github.com/anirohi/anirohi-api/internal/app"
)

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password" required:"true"`
	NewPassword     string `json:"new_password" required:"true"`
}

func handleChangePassword(auth *app.Auth) http.Handler {
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[changePasswordRequest](r)
		if err != nil {
			return err
		}
		if err := auth.ChangePassword(r.Context(), principal(r), in.CurrentPassword, in.NewPassword); err != nil {
			return err
		}
		return encode(w, http.StatusOK, message{"Password changed"})
	})
}

func handleDeleteAccount(auth *app.Auth, cookies cookieJar) http.Handler {
	type request struct {
		Password string `json:"password" required:"true"`
	}
	return apiFunc(func(w http.ResponseWriter, r *http.Request) error {
		in, err := decode[request](r)
		if err != nil {
			return err
		}
		if err := auth.DeleteAccount(r.Context(), principal(r), in.Password); err != nil {
			return err
		}
		cookies.clear(w)
		return encode(w, http.StatusOK, message{"Account deleted"})
	})
}
