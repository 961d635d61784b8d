"""JSON answers for paths no view owns and for unhandled errors, on every deployable.

Views answer in their context's envelope; these cover what Django answers itself (DEBUG off), so a
client never gets an HTML page or a traceback from an API process.
"""

from django.http import HttpRequest, JsonResponse

from skyway.errors import (
    PROBLEM_CONTENT_TYPE,
    is_public_path,
    problem_body,
    request_guard_error,
    request_refused_log,
)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": "not_found", "description": f"No resource at {request.path[:200]}"}, status=404
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"error": "server_error", "description": "Unexpected error; it has been logged."}, status=500
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    refused = request_guard_error(exception) if exception is not None else None
    if refused is None:
        return JsonResponse({"error": "bad_request", "description": "The request was malformed."}, status=400)
    request_refused_log(refused, request.path)
    if is_public_path(request.path_info):
        body = problem_body(
            status=refused.status_code,
            code=refused.code.replace("_", "-"),
            title=refused.title,
            detail=refused.detail,
            instance=request.path,
        )
        return JsonResponse(body, status=refused.status_code, content_type=PROBLEM_CONTENT_TYPE)
    return JsonResponse({"error": refused.code, "description": refused.detail}, status=refused.status_code)
