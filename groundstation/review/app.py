"""The review app: ``skyinspect serve RESULTS`` - a FastAPI server and one page with a map.

Read: findings (filter by class, review status, grade), every view of a finding as a crop, the audit
trail, and the folder's products (a fixed list of names; nothing else under the folder is served).
Write (POST, JSON only): confirm / reject / relabel / comment a finding (a decision carries the seq of the
last one the page showed, ``base_seq``: 409 when another reviewer decided since), export the reviewed set for
training. Every write appends to the audit trail (who, when, what; ``review/audit.jsonl``).

Security: finding ids and view numbers are looked up in the loaded results, never joined into paths;
reviewer names, labels and comments are validated and rendered by the page as text only (no
innerHTML) under a strict Content-Security-Policy (no inline script). With a token (always, when
bound to a non-loopback address: see ``skyinspect/cli/serve.py``) every write needs
``Authorization: Bearer <token>``. Writes must be ``application/json`` and, when the browser sends an
Origin, come from the app's own origin (no cross-site form posts).
"""

import hmac
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from groundstation.review.audit import AuditConflict, AuditLog, AuditUnreadable, readable
from groundstation.review.data import ResultsData
from groundstation.review.page import APP_JS, INDEX_HTML
from skyinspect.segmentation import CLASS_NAMES

PRODUCT_FILES = {"report.pdf": "application/pdf", "report.html": "text/html", "map.html": "text/html",
                 "findings.geojson": "application/geo+json", "workorders.csv": "text/csv",
                 "workorders.json": "application/json", "change.json": "application/json"}
REVIEWER_PUNCT = " ._@-'’"  # apostrophes: O'Brien, D’Angelo
MAX_COMMENT = 2000
LABELS = CLASS_NAMES[1:]
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'")


def reviewer_name(header: str) -> str | None:
    """The reviewer's name from X-Reviewer, or None when it is not a name. The page percent-encodes it
    (a header carries Latin-1 only: fetch threw for 'Łukasz'); a script may send plain ASCII or Latin-1.
    Letters of any script count: 'José' had been refused as not a letter."""
    try:
        name = unicodedata.normalize("NFC", unquote(header, errors="strict"))
    except UnicodeDecodeError:
        return None
    if not 1 <= len(name) <= 64 or not name[0].isalnum():
        return None
    # combining marks (category M) are part of letters in many scripts; controls and bidi overrides are not
    ok = all(c.isalnum() or c in REVIEWER_PUNCT or unicodedata.category(c).startswith("M") for c in name)
    return name if ok else None


def comment_problem(text: str) -> str | None:
    """Why ``text`` cannot be a comment (None: it can). JSON lets a request carry half of a UTF-16
    surrogate pair ('\\ud83d', an emoji cut in two), which is no character: stored, it made every page of
    the app answer 500 (the answer is UTF-8) and publish fail writing the work orders. Control characters
    (but tab and line breaks) are no text either, and no XML may hold them: a U+000B in a comment left the
    published findings.kml not well-formed."""
    for i, ch in enumerate(text, 1):
        o = ord(ch)
        if 0xD800 <= o <= 0xDFFF:
            return (f"character {i} is U+{o:04X}, half of a UTF-16 surrogate pair, not a character "
                    "(an emoji or other character cut in two); send the whole character or leave it out")
        if (o < 0x20 and ch not in "\t\n\r") or 0x7F <= o <= 0x9F or o in (0xFFFE, 0xFFFF):
            return (f"character {i} is U+{o:04X}, a control character or non-character, which findings.kml "
                    "(XML) cannot hold; leave it out (tabs and line breaks are kept)")
    return None


def create_app(results: Path, token: str | None = None, flight: Path | None = None, local_only: bool = False) -> Any:
    """``local_only`` (serve on a loopback address): answer only requests addressed to a loopback name."""
    import cv2
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

    data = ResultsData.open(Path(results), flight)
    audit = AuditLog(data.folder / "review" / "audit.jsonl")
    refuse_links_out(data.folder, audit.path)
    audit.check_readable()  # refused by name at start, not a 500 on every page (and never appended to)
    app = FastAPI(title="skyinspect review", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(AuditUnreadable)
    async def audit_unreadable(request: Request, exc: AuditUnreadable) -> Any:
        # a line cut while the app runs (another server on the folder killed mid-write, or an edit):
        # said on every page with the fix, where a bare 500 had said nothing
        return JSONResponse({"detail": f"review trail unreadable: {exc}"}, status_code=503)

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Any:
        host = request.headers.get("host", "")
        if local_only and not addressed_to_loopback(host):
            # DNS rebinding: a web page whose name now points at 127.0.0.1 sends its own Host (and a matching
            # Origin): it had read every finding and written decisions
            return JSONResponse({"detail": f"refused: this review app answers requests addressed to localhost, "
                                           f"127.0.0.1 or [::1] only, not to {host!r}. Open it by one of those "
                                           "(a reverse proxy must pass a loopback Host)"}, status_code=403)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def finding_or_404(fid: str) -> Any:
        if fid not in data.findings:
            raise HTTPException(404, "no such finding")
        return data.findings[fid]

    def check_write(request: Request) -> str:
        if token is not None:
            auth = request.headers.get("authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else ""
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise HTTPException(401, "a valid token is needed for write actions (Authorization: Bearer ...)")
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise HTTPException(415, "writes must be application/json")
        origin = request.headers.get("origin")
        if origin and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            raise HTTPException(403, "cross-origin write refused")
        if not data.still_current():  # a decision names a finding by id: not onto other findings
            raise HTTPException(409, f"not saved: {data.folder} was processed again since this app started and "
                                     "holds other findings now (its earlier review moved to superseded-*/). "
                                     "Stop and restart `skyinspect serve` to review them")
        who = reviewer_name(request.headers.get("x-reviewer", ""))
        if who is None:
            raise HTTPException(422, "X-Reviewer must be a name of 1-64 letters (any script), digits, space . _ @ - ' "
                                     "(percent-encoded UTF-8 for letters outside Latin-1), starting with a letter "
                                     "or digit")
        return who

    def review_states() -> tuple[dict[str, Any], dict[str, Any]]:
        """Each finding's review state now, and as the grades shown were made: as the products last
        published (inspection.json's applied_to_seq; 0: as processed, no decision applied)."""
        entries = audit.entries()  # read once: both from the same trail
        applied = (data.inspection.get("review") or {}).get("applied_to_seq") or 0
        return audit.state(entries), audit.state(entries[:applied] if isinstance(applied, int) else [])

    def product_path(name: str) -> Path | None:
        """A product's file, when it is one inside the folder: a folder unpacked from an archive (tar keeps
        links) could hold report.html -> ~/.ssh/id_rsa, served to whoever reaches the app (reads need no token)."""
        if name not in PRODUCT_FILES:
            return None
        path = (data.folder / name).resolve()
        return path if path.is_file() and path.is_relative_to(data.folder) else None

    @app.get("/", response_class=HTMLResponse)
    def index() -> Any:
        return HTMLResponse(INDEX_HTML)

    @app.get("/static/app.js")
    def app_js() -> Any:
        return Response(APP_JS, media_type="application/javascript")

    @app.get("/api/inspection")
    def inspection() -> Any:
        data.refresh_grades()  # `skyinspect publish` may have run since
        return {k: data.inspection.get(k) for k in ("asset_id", "inspection_date", "model_id", "grading_profile")} | {
            "labels": list(LABELS), "write_token_required": token is not None,
            "products": [n for n in PRODUCT_FILES if product_path(n) is not None]
            + (["workorders-reviewed.csv"] if (data.folder / "workorders.json").is_file() else []),
            "published": published_review(data.folder, audit.entries())}

    @app.get("/api/findings")
    def findings(cls: str | None = None, status: str | None = None, grade: str | None = None,
                 view: str | None = None) -> Any:
        """``view=table``: the rows as the page's table and map markers need them (no outlines, no
        measurements; the page fetches the outlines once from /api/outlines)."""
        if view not in (None, "", "table"):
            raise HTTPException(422, f"view must be 'table' or left out, not {view!r}")
        data.refresh_grades()  # as published since the app started
        state, published = review_states()
        rows = [data.summary(fid, state.get(fid), view == "table", published.get(fid)) for fid in data.findings]
        if cls:  # the class the table shows: a relabelled finding is listed under its new label
            rows = [r for r in rows if (r["review"]["label"] or r["class"]) == cls]
        if status:
            rows = [r for r in rows if r["review"]["status"] == status]
        grade = (grade or "").strip().upper()  # typed in a box: "cs2 " had listed nothing
        if grade:  # "CS2" lists the lower bounds "CS2+" too
            rows = [r for r in rows if (r["grade"] or "").upper() in (grade, grade + "+")]
        return rows

    # every finding's outline, fixed while the app runs: encoded once (anew on each page load it had been 12.8 MB
    # and 0.2-0.3 s of CPU for 1,600 findings, the table's answer waiting behind it)
    shapes = outlines_json(data)

    @app.get("/api/outlines")
    def outlines() -> Any:
        """Every finding's outline (lat, lon, alt) by id: fixed while the app runs, so fetched once by the page."""
        return Response(shapes, media_type="application/json")

    @app.get("/api/findings/{fid}")
    def finding(fid: str) -> Any:
        f = finding_or_404(fid)
        data.refresh_grades()
        state, published = review_states()
        row = data.summary(fid, state.get(fid), published=published.get(fid))
        row["views_list"] = [{"k": k, "frame_index": fi, "instance_index": ii,
                              "url": f"/api/findings/{fid}/views/{k}.jpg" if data.view_instance(fid, k) else None}
                             for k, (fi, ii) in enumerate(f.views)]
        row["grades"] = [] if row["regrade"] else data.grades.get(fid, [])  # none of them its new class's
        return row

    @app.get("/api/findings/{fid}/views/{k}.jpg")
    def view(fid: str, k: int) -> Any:
        finding_or_404(fid)
        got = data.view_crop(fid, k)
        if got is None:
            raise HTTPException(404, "no image for this view")
        ok, buf = cv2.imencode(".jpg", got[0], [cv2.IMWRITE_JPEG_QUALITY, 85])
        return Response(buf.tobytes(), media_type="image/jpeg")

    @app.post("/api/findings/{fid}/review")
    async def review(fid: str, request: Request) -> Any:
        who = check_write(request)  # token, content type and origin before the body is even parsed
        finding_or_404(fid)
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(422, "body must be a JSON object") from None
        if not isinstance(body, dict):
            raise HTTPException(422, "body must be a JSON object")
        action = body.get("action")
        comment = body.get("comment") or ""
        if action not in ("confirm", "reject", "relabel", "comment"):
            raise HTTPException(422, "action must be confirm, reject, relabel or comment")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
            raise HTTPException(422, f"comment must be text of at most {MAX_COMMENT} characters")
        if (problem := comment_problem(comment)) is not None:
            raise HTTPException(422, f"comment refused: {problem}")
        extra: dict[str, Any] = {}
        if action == "relabel":
            if body.get("label") not in LABELS:
                raise HTTPException(422, f"label must be one of {', '.join(LABELS)}")
            extra["label"] = body["label"]
        if action == "comment" and not comment.strip():
            raise HTTPException(422, "empty comment")
        if comment:
            extra["comment"] = comment
        # the seq of the finding's last decision the page showed: a decision made since by someone else
        # is answered 409 instead of silently overridden (absent: no check, as for scripts)
        base = body.get("base_seq")
        if base is not None and (not isinstance(base, int) or isinstance(base, bool) or base < 0):
            raise HTTPException(422, "base_seq must be a whole number >= 0")
        try:
            entry = audit.append(who, action, fid, expect_seq=base, **extra)
        except AuditConflict as exc:
            raise HTTPException(409, f"not saved: {exc}. Look at it again, then decide") from None
        except OSError as exc:  # a read-only share or card, a full disk: a bare 500 had said nothing
            raise HTTPException(503, not_saved(data.folder, exc)) from None
        return JSONResponse(entry, status_code=201)

    @app.get("/api/audit")
    def audit_trail(fid: str | None = None) -> Any:
        entries = audit.entries()  # read once: the chain verified is the one listed
        return {"verified": audit.verify(entries),
                "entries": [readable(e) for e in entries if fid is None or e["finding_id"] == fid]}

    @app.post("/api/export")
    def export(request: Request) -> Any:
        check_write(request)
        from groundstation.review.export import ExportRefused, export_training_set

        try:
            return export_training_set(data, audit.state(), data.folder / "review" / "training")
        except ExportRefused as exc:  # had answered '0 samples written' over the earlier set
            raise HTTPException(409, str(exc)) from None
        except OSError as exc:
            raise HTTPException(503, not_saved(data.folder, exc)) from None

    @app.get("/files/workorders-reviewed.csv")
    def reviewed_orders() -> Any:
        """The work orders with this trail's decisions applied (rejections out, relabels and comments
        in the description), as `skyinspect workorders --write-csv` writes them; workorders.csv stays
        as processed. The link had given only that file: a finding rejected here still had its order."""
        from groundstation.workorders import apply_review, load_work_orders, work_orders_csv
        from skyinspect.errors import InputError
        from skyinspect.spreadsheet import SPREADSHEET_ENCODING

        try:
            orders, _ = apply_review(load_work_orders(data.folder)[0], data.folder)
        except InputError as exc:
            raise HTTPException(404, str(exc)) from None
        return Response(work_orders_csv(orders).encode(SPREADSHEET_ENCODING), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="workorders-reviewed.csv"'})

    @app.get("/files/{name}")
    def product(name: str) -> Any:
        path = product_path(name)
        if path is None:
            raise HTTPException(404, "not a product of this results folder")
        resp = FileResponse(path, media_type=PRODUCT_FILES[name])
        if name.endswith(".html"):  # our generated pages: scripts allowed, but sandboxed away from the API
            resp.headers["Content-Security-Policy"] = "sandbox allow-scripts allow-popups"
        return resp

    app.state.data = data
    app.state.audit = audit
    app.state.unwritable = unwritable(data.folder)  # said by `skyinspect serve` at start
    return app


def outlines_json(data: ResultsData) -> bytes:
    """Every finding's outline (lat, lon, alt) by id as JSON, to 1e-8 degree (at most 1.1 mm) and 1 mm of
    height: the page's map cannot show less, and full float digits had nearly doubled the answer."""
    import json

    return json.dumps({fid: [[round(p[0], 8), round(p[1], 8), round(p[2], 3)] for p in data.outline(fid)]
                       for fid in data.findings}, separators=(",", ":")).encode()


def refuse_links_out(folder: Path, audit_path: Path) -> None:
    """InputError when review/ or its audit.jsonl is a link out of the results folder: every decision is
    appended there (its comment too), and a folder from an archive could point it at a shell's start-up
    file. ``folder``: resolved."""
    from skyinspect.errors import InputError, describe

    for path in (audit_path.parent, audit_path):
        target = path.resolve()  # a dangling link too: where the first decision would create the file
        if not target.is_relative_to(folder):
            raise InputError(describe(path, f"links to {target}, outside the results folder; the review app "
                                            "appends every decision there",
                                      "Replace the link by a folder or file of the results folder's own"))


def addressed_to_loopback(host_header: str) -> bool:
    """Whether a Host header ('localhost:8765', '127.0.0.1', '[::1]:8765') names this computer's loopback."""
    from urllib.parse import urlsplit

    from groundstation.review import is_loopback

    try:
        name = urlsplit(f"//{host_header}").hostname or ""
    except ValueError:
        return False
    return is_loopback(name)


def unwritable(folder: Path) -> str | None:
    """Why no decision can be saved in ``folder``/review (None: one can), probed with a temporary file."""
    import tempfile

    review = folder / "review"
    if review.exists() and not review.is_dir():
        return f"{review}: is a file, expected the review folder"
    where = review if review.is_dir() else folder
    try:
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        return f"{where}: no file can be created in it ({exc.strerror or exc})"
    return None


def not_saved(folder: Path, exc: OSError) -> str:
    why = unwritable(folder) or f"{exc.filename or folder / 'review'}: {exc.strerror or exc}"
    return (f"not saved: cannot write the review ({why}). Serve a copy of the results folder on a disk you can "
            "write to")


def published_review(folder: Path, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """How far the products (report, GIS, work orders) are behind the trail: the last audit seq
    `skyinspect publish` or `process` applied (inspection.json), the entries made since, and
    ``trail_changed``: what to say when the trail no longer holds what was published (entries cut off its
    end, or another trail in its place: either still verifies, and the page had said nothing)."""
    import json

    try:
        review = json.loads((folder / "inspection.json").read_text()).get("review") or {}
        seq, head = int(review.get("applied_to_seq") or 0), str(review.get("applied_to_hash") or "")
    except (OSError, ValueError, AttributeError, TypeError):
        seq, head = 0, ""
    trail = folder / "review" / "audit.jsonl"
    fix = "Run `skyinspect publish RESULTS` to publish the trail as it is now"
    changed = ""
    if seq > len(entries):
        changed = (f"{trail} holds {len(entries)} entries, but the products include review decisions up to #{seq}: "
                   f"entries were cut off its end, or the trail was replaced, since publishing. {fix}")
    elif seq and head and entries[seq - 1].get("hash") != head:
        changed = (f"{trail}: entry #{seq} is not the one published (the trail was replaced or edited since "
                   f"publishing), so the products include decisions this trail does not hold. {fix}")
    return {"review_seq": seq, "decisions_since": max(0, len(entries) - seq), "trail_changed": changed}
