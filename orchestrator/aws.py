"""Boto3 clients with timeouts and retries, and the translation of AWS errors into `orch` errors.

`AwsFactory` is the only place that builds boto3 sessions and clients (chalice's CLIFactory lesson):
tests hand commands a factory whose session is stubbed or points at an emulator. Standard boto3
configuration applies throughout: profiles, `AWS_REGION`, `AWS_ENDPOINT_URL[_<SERVICE>]`; there is no
emulator-specific code path.

Error tree added here (all under `orchestrator.errors.AwsError`, exit code 4):

AwsError
├── AwsNotFoundError      the named resource does not exist (404, ResourceNotFoundException, NoSuchKey)
├── AwsConflictError      the resource exists or is in a state that forbids the call (ConflictException)
├── AwsAccessDeniedError  credentials lack permission (AccessDenied, 403)
├── AwsThrottledError     still throttled after botocore's retries
└── AwsUnavailableError   no connection, a timeout or a 5xx after botocore's retries (transient)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from orchestrator.errors import AwsError, ConfigError

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
MAX_ATTEMPTS = 5  # in total (first try included); "standard" mode: exponential backoff + jitter
# A new user's first AWS-facing command is often meant for the stack `make demo` left running.
LOCAL_STACK_HINT = "for the local stack of `make demo`, add --env local"


class AwsNotFoundError(AwsError):
    """The resource named in the call does not exist."""


class AwsConflictError(AwsError):
    """The resource already exists or its state forbids the call."""


class AwsAccessDeniedError(AwsError):
    """The caller's credentials are not allowed to make the call."""


class AwsThrottledError(AwsError):
    """The call was still throttled after every retry."""


class AwsUnavailableError(AwsError):
    """The service could not be reached or failed on its side (5xx), even after retries."""


TRANSIENT_ERRORS: tuple[type[AwsError], ...] = (AwsThrottledError, AwsUnavailableError)


_NOT_FOUND = {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "404", "NoSuchUpload"}
_CONFLICT = {"ConflictException", "ResourceInUseException"}
_DENIED = {"AccessDenied", "AccessDeniedException", "403", "UnauthorizedOperation", "Forbidden"}
_THROTTLED = {
    "ThrottlingException",
    "TooManyRequestsException",
    "Throttling",
    "SlowDown",
    "RequestLimitExceeded",
}


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retries of every client `orch` builds."""

    connect_timeout: float = CONNECT_TIMEOUT_S
    read_timeout: float = READ_TIMEOUT_S
    max_attempts: int = MAX_ATTEMPTS
    s3_path_style: bool = False  # only for a Terraform backend that asks for it (use_path_style)


class AwsFactory:
    """Builds boto3 clients from one session (profile and region resolved once)."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        settings: ClientSettings | None = None,
        session: boto3.Session | None = None,
    ) -> None:
        self._profile = profile
        self._region = region
        self.settings = settings or ClientSettings()
        self._session = session

    @property
    def session(self) -> boto3.Session:
        if self._session is None:
            import boto3

            with translate_errors("create an AWS session"):
                self._session = boto3.Session(profile_name=self._profile, region_name=self._region)
        return self._session

    @property
    def region(self) -> str | None:
        return self._region or self.session.region_name

    def client(self, service: str, *, region: str | None = None, endpoint_url: str | None = None) -> Any:
        """A boto3 client with connect/read timeouts and standard-mode retries.

        `endpoint_url` is None except where a Terraform backend names its own endpoint; otherwise
        boto3's own configuration (AWS_ENDPOINT_URL...) decides.
        """
        from botocore.config import Config

        config = Config(
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.settings.max_attempts},
            s3={"addressing_style": "path"} if self.settings.s3_path_style else None,
        )
        with translate_errors(f"create the {service} client"):
            return self.session.client(
                service, region_name=region or self.region, endpoint_url=endpoint_url, config=config
            )


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _error_class(code: str, status: int | None) -> type[AwsError]:
    if code in _NOT_FOUND or status == 404:
        return AwsNotFoundError
    if code in _CONFLICT or status == 409:
        return AwsConflictError
    if code in _DENIED or status == 403:
        return AwsAccessDeniedError
    if code in _THROTTLED or status == 429:
        return AwsThrottledError
    if status is not None and status >= 500:
        return AwsUnavailableError
    return AwsError


@contextmanager
def translate_errors(operation: str) -> Iterator[None]:
    """Turn botocore errors raised inside the block into `AwsError`s naming `operation`.

    Missing credentials or region are configuration problems (ConfigError, exit 2).
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        HTTPClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )
    from botocore.exceptions import ConnectionError as BotoConnectionError

    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = exc.response.get("Error", {}).get("Message") or code or str(exc)
        raise _error_class(code, status)(f"{operation} failed: {code}: {message}") from exc
    except (NoCredentialsError, PartialCredentialsError, ProfileNotFound) as exc:
        raise ConfigError(
            f"{operation}: {exc} (configure AWS credentials, e.g. AWS_PROFILE; {LOCAL_STACK_HINT})"
        ) from exc
    except NoRegionError as exc:
        raise ConfigError(
            f"{operation}: no AWS region (use --region, AWS_REGION or the profile; {LOCAL_STACK_HINT})"
        ) from exc
    except (BotoConnectionError, HTTPClientError) as exc:  # refused, connect/read timeouts
        raise AwsUnavailableError(f"{operation} failed: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"{operation} failed: {exc}") from exc
