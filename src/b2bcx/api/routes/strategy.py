"""Strategy: the value-proposition profile, the CXM assessment and the playbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile

from b2bcx.api import API_PREFIX
from b2bcx.api.deps import Analyst, State, Viewer, audited, require_all_accounts
from b2bcx.api.errors import ERROR_RESPONSES, ErrorEnvelope
from b2bcx.api.schemas import Open, SavedAnswers
from b2bcx.server.uploads import answers_upload
from b2bcx.server.views import json_result

router = APIRouter(prefix=f"{API_PREFIX}/strategy", tags=["strategy"], responses=ERROR_RESPONSES)


@router.get("/profile", response_model=Open, summary="Value-proposition profile")
def profile(caller: Viewer, state: State) -> dict[str, Any]:
    """What customers seek and get per goal and value proposition, gaps and conflicts."""
    require_all_accounts(caller, "the strategy profile")
    return json_result(state.results, "profile")


@router.get("/assessment", response_model=Open, summary="CXM impact, scope and archetype")
def assessment(caller: Viewer, state: State) -> dict[str, Any]:
    """CXM impact and scope (assessed and observed), the archetype and its evidence."""
    require_all_accounts(caller, "the strategy assessment")
    return json_result(state.results, "assessment")


@router.get("/plan", response_model=Open, summary="The four-step playbook")
def plan(caller: Viewer, state: State) -> dict[str, Any]:
    """The four-step plan (Wirtz et al. 2025, 7.2) built from the workspace's numbers."""
    require_all_accounts(caller, "the strategy plan")
    return json_result(state.results, "plan")


@router.get("/answers", response_model=list[SavedAnswers], summary="Saved assessments")
def saved(caller: Viewer, state: State) -> list[dict[str, Any]]:
    """The strategy answers saved in the workspace, oldest first; the latest is the
    one the assessment and the plan use (unless the server was given --answers)."""
    require_all_accounts(caller, "the strategy answers")
    from b2bcx.strategy import saved_assessments

    with state.db() as backend:
        found = saved_assessments(backend)
    return [
        {"assessment_id": s.assessment_id, "answered_at": s.answered_at.isoformat(),
         "respondent": s.answers.respondent, "source": s.answers.source,
         "items": len(s.answers.values)}
        for s in found
    ]  # fmt: skip


@router.post(
    "/answers",
    response_model=SavedAnswers,
    status_code=201,
    summary="Save strategy answers",
    responses={
        413: {"model": ErrorEnvelope, "description": "Too large"},
        415: {"model": ErrorEnvelope, "description": "Not YAML or CSV"},
    },
)
def save(
    caller: Analyst,
    state: State,
    file: Annotated[UploadFile, File(description="Answers as YAML (item: answer) or CSV.")],
) -> dict[str, Any]:
    """Check and save the firm's answers to the strategy assessment (the format of
    ``b2bcx strategy assess --answers``); the assessment and the plan use them from
    now on. Needs the analyst role and a token for every account."""
    require_all_accounts(caller, "the strategy answers")
    action, target = "POST /api/v1/strategy/answers", str(file.filename)
    with audited(state, caller, action, target, {"file": file.filename}) as detail:
        out = answers_upload(state, file.file, file.filename)
        detail["assessment_id"] = out["assessment_id"]
        return out
