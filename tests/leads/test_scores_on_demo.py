"""On a generated demo (60 reps, 4 quarters), the profile suggested from outcomes recovers the
planted ICP industries, and off-profile leads score clearly lower on fit and on the predicted
conversion of a model trained on the demo's own history."""

from __future__ import annotations

from leads_support import Demo

from attain.leads.icp import IcpSettings, in_profile
from attain.leads.model import train
from attain.leads.scores import fit_scores
from attain.leads.suggest import suggest_icp
from attain.leads.training_data import training_frame


def fit_by_truth(demo: Demo, icp: IcpSettings) -> tuple[float, float, float]:
    """Median fit of on- and off-profile leads (by the demo's truth), and the off share scoring
    below the on-profile median."""
    leads = demo.backend.table("leads")
    truly_in = leads.select("lead_id", truly_in=in_profile(leads, demo.truth.icp_settings()))
    scores = fit_scores(demo.backend, icp).merge(truly_in.execute(), on="lead_id")
    on = scores.fit_score[scores.truly_in]
    off = scores.fit_score[~scores.truly_in]
    return float(on.median()), float(off.median()), float((off < on.median()).mean())


def test_suggestion_recovers_the_demo_icp_industries(demo: Demo) -> None:
    suggestion = suggest_icp(demo.backend)

    assert set(demo.truth.icp_settings().industries) <= set(suggestion.proposal.industries)
    assert suggestion.proposal.min_employees == 200


def test_off_profile_leads_score_clearly_lower_on_the_demo_profile(demo: Demo) -> None:
    on, off, below = fit_by_truth(demo, demo.truth.icp_settings())

    assert on == 100.0
    assert off <= 70.0
    assert below == 1.0


def test_off_profile_leads_score_clearly_lower_on_the_suggested_profile(demo: Demo) -> None:
    on, off, below = fit_by_truth(demo, suggest_icp(demo.backend).proposal)

    # The suggestion adds a source rule, so on-profile leads from weak sources lose points too.
    assert on - off >= 20.0
    assert below >= 0.5


def test_off_profile_leads_get_lower_predicted_conversion(demo: Demo) -> None:
    frame = training_frame(demo.backend)
    model = train(frame, "converted", time_column="created_at")
    leads = demo.backend.table("leads")
    truly_in = leads.select("lead_id", truly_in=in_profile(leads, demo.truth.icp_settings()))
    scored = frame.assign(probability=model.predict_proba(frame)).merge(
        truly_in.execute(), on="lead_id"
    )
    on = scored.probability[scored.truly_in].median()
    off = scored.probability[~scored.truly_in].median()
    assert off < 0.8 * on
