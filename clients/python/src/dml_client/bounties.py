"""``/v1/bounties``: post and fund, list, the owner's transitions, enrollments, submissions,
winners, payout, cancellation and expiry."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, cast

from . import calls
from .client import Resource
from .types import BountySummaryPage, BountyView, SubmissionView, WriteView

__all__ = ["BountiesAPI"]


class BountiesAPI(Resource):
    def create(self, title: str, description: str, prizes: Sequence[int], *, enrollment_end: int, submission_end: int,
               evaluation_deadline: int, expiry_rule: str = "refund_owner", fund: bool = True) -> WriteView:
        """Posts a bounty; prizes are base units, dates Unix ms (enrollment end after now).
        With ``fund`` (default) the whole prize pool is escrowed at once."""
        body: Dict[str, Any] = {"title": title, "description": description, "prizes": [str(p) for p in prizes],
                                "enrollmentEnd": enrollment_end, "submissionEnd": submission_end,
                                "evaluationDeadline": evaluation_deadline, "expiryRule": expiry_rule, "fund": fund}
        draft = calls.BountyDraft(title, description, list(prizes), enrollment_end, submission_end, evaluation_deadline, expiry_rule)
        return self._write("/v1/bounties", body, lambda: calls.Bounties.create(draft, fund), created="posted")

    def list(self, *, status: Optional[str] = None, q: Optional[str] = None, owner: Optional[str] = None,
             sort: Optional[str] = None, limit: Optional[int] = None, offset: Optional[int] = None) -> BountySummaryPage:
        query = {"status": status, "q": q, "owner": owner, "sort": sort, "limit": limit, "offset": offset}
        return cast(BountySummaryPage, self._get("/v1/bounties", query))

    def get(self, bounty: int) -> BountyView:
        return cast(BountyView, self._get(f"/v1/bounties/{bounty}"))

    def fund(self, bounty: int, amount: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/fund", {"amount": str(amount)}, lambda: calls.Bounties.fund(bounty, amount), id=bounty)

    def open_enrollment(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/open-enrollment", None, lambda: calls.Bounties.open_enrollment(bounty), id=bounty)

    def close_enrollment(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/close-enrollment", None, lambda: calls.Bounties.close_enrollment(bounty), id=bounty)

    def open_submissions(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/open-submissions", None, lambda: calls.Bounties.open_submissions(bounty), id=bounty)

    def close_submissions(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/close-submissions", None, lambda: calls.Bounties.close_submissions(bounty), id=bounty)

    def enroll(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/enrollments", None, lambda: calls.Bounties.enroll(bounty), id=bounty)

    def submit(self, bounty: int, artifact: str, note: str = "") -> WriteView:
        """Submits an artifact (a CID, e.g. from ``algorithms.upload_artifact``) as an enrolled participant."""
        return self._write(f"/v1/bounties/{bounty}/submissions", {"artifact": artifact, "note": note},
                           lambda: calls.Bounties.submit(bounty, artifact, note), id=bounty)

    def submissions(self, bounty: int) -> List[SubmissionView]:
        """All submissions for the owner or a moderator; a participant's own otherwise."""
        return cast(List[SubmissionView], self._get(f"/v1/bounties/{bounty}/submissions"))

    def award(self, bounty: int, winners: Sequence[str]) -> WriteView:
        """Names the winners, one per prize, in rank order (the owner)."""
        return self._write(f"/v1/bounties/{bounty}/winners", {"winners": list(winners)},
                           lambda: calls.Bounties.award(bounty, list(winners)), id=bounty)

    def payout(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/payout", None, lambda: calls.Bounties.payout(bounty), id=bounty)

    def cancel(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/cancel", None, lambda: calls.Bounties.cancel(bounty), id=bounty)

    def expire(self, bounty: int) -> WriteView:
        return self._write(f"/v1/bounties/{bounty}/expire", None, lambda: calls.Bounties.expire(bounty), id=bounty)
