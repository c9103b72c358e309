package provider

import (
	"context"
	"errors"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Magnum refuses a COE that no enabled driver provides in one of three
// ways; diagnose.RefusedCOE explains them with what the cloud's newest
// microversion says about its drivers, which this asks the cloud for.

// refusedCOEHint explains a refused COE: a diagnostic summary and text to
// add to Magnum's message, both empty for other errors.
func refusedCOEHint(ctx context.Context, client *magnum.Client, err error) (summary, detail string) {
	var me *magnum.Error
	if client == nil || !errors.As(err, &me) || me.StatusCode != 400 || !diagnose.IsRefusedCOE(me.Message) {
		return "", ""
	}
	_, serverMax, verr := client.ServerVersions(ctx)
	if verr != nil {
		return "", ""
	}
	return diagnose.RefusedCOE(me.Message, serverMax)
}
