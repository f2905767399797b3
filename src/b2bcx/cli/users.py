"""``b2bcx user``: people's accounts for the dashboard (a thin adapter over
:mod:`b2bcx.server.users`).

A password is read from a hidden prompt (asked twice) or, for scripts, from
standard input with ``--password-stdin``; never from the command line, where
it would be left in the shell history and the process list. The hash is made
with the argon2 parameters of the server's settings (``B2BCX_PASSWORD_*``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from b2bcx.cli.app import WorkspaceOpt, app, console, open_ws, print_json
from b2bcx.cli.errors import handle_errors

if TYPE_CHECKING:
    from b2bcx.server.tokens import AuditedBy

user_app = typer.Typer(
    help="People's accounts for the dashboard: add, list, disable, set a password (argon2-hashed).",
    no_args_is_help=True,
)
app.add_typer(user_app, name="user")

PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (its first line) instead of a prompt.",
    ),
]


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or a hidden prompt
    asked twice."""
    from b2bcx.errors import ConfigurationError

    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise ConfigurationError("--password-stdin read no password from standard input")
        return password
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


def _hasher() -> Any:
    from b2bcx.server.settings import load_server_settings
    from b2bcx.server.users import password_hasher

    return password_hasher(load_server_settings())


@user_app.command("add")
@handle_errors
def user_add(
    login: Annotated[
        str, typer.Argument(help="What the person types to sign in (e.g. an e-mail).")
    ],
    role: Annotated[
        str, typer.Option(help="viewer (reads), analyst (imports), admin (tokens, users).")
    ],
    name: Annotated[str, typer.Option(help="The name shown on the dashboard.")] = "",
    accounts: Annotated[
        str | None, typer.Option(help="Limit the user to these account ids (comma-separated).")
    ] = None,
    password_stdin: PasswordStdinOpt = False,
    no_password: Annotated[
        bool,
        typer.Option("--no-password", help="No password: the user signs in by single sign-on."),
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Add a user who signs in to the dashboard with a password (or single sign-on)."""
    from b2bcx.server.users import check_new_password, create_user, normalize_login

    normalize_login(login)  # a bad login fails before the prompt
    password = None
    if not no_password:
        password = _read_password(password_stdin)
        check_new_password(password)
    limit = [a for a in accounts.split(",") if a.strip()] if accounts is not None else None
    with open_ws(workspace) as ws:
        user = create_user(
            ws.backend,
            login=login,
            role=role,
            password=password,
            display_name=name,
            accounts=limit,
            hasher=_hasher(),
            audit=_audited("add"),
        )
    scope = f", accounts {','.join(user.accounts)}" if user.accounts is not None else ""
    console.print(f"Added user {user.login} ({user.role.value}{scope}).")


@user_app.command("list")
@handle_errors
def user_list(
    workspace: WorkspaceOpt = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List users (never their password hashes)."""
    from b2bcx.server.users import list_users

    with open_ws(workspace, read_only=True) as ws:
        users = list_users(ws.backend)
    if json_output:
        print_json([u.to_dict() for u in users])
        return
    from rich.table import Table

    def when(value: Any) -> str:
        return f"{value:%Y-%m-%d %H:%M}" if value is not None else ""

    table = Table(title=f"{len(users)} user{'' if len(users) == 1 else 's'}")
    for col in ("login", "name", "role", "accounts", "sign-in", "status", "last sign-in"):
        table.add_column(col)
    for u in users:
        ways = [w for w, on in (("password", u.has_password), ("sso", u.oidc_subject)) if on]
        table.add_row(
            u.login,
            u.display_name,
            u.role.value,
            ",".join(u.accounts) if u.accounts is not None else "all",
            "+".join(ways) or "none",
            f"disabled {when(u.disabled_at)}" if u.disabled else "active",
            when(u.last_signin_at),
        )
    console.print(table)


def _audited(command: str) -> AuditedBy:
    """The audit mark of ``b2bcx user <command>`` (role ``cli``)."""
    from b2bcx.server.tokens import AuditedBy

    return AuditedBy(action=f"b2bcx user {command}", role="cli")


def _switch(login: str, workspace: str | None, *, enable: bool) -> None:
    """Disable or enable ``login`` (audited) and say so: the one body of
    ``user disable`` and ``user enable``."""
    from b2bcx.server.users import disable_user, enable_user

    command, change = ("enable", enable_user) if enable else ("disable", disable_user)
    with open_ws(workspace) as ws:
        user = change(ws.backend, login, audit=_audited(command))
    console.print(f"{command.capitalize()}d user {user.login}.")


@user_app.command("disable")
@handle_errors
def user_disable(
    login: Annotated[str, typer.Argument(help="The user's login (as `user list` shows it).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Stop a user from signing in; the user's dashboard sessions end at once."""
    _switch(login, workspace, enable=False)


@user_app.command("enable")
@handle_errors
def user_enable(
    login: Annotated[str, typer.Argument(help="The user's login.")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Let a disabled user sign in again."""
    _switch(login, workspace, enable=True)


@user_app.command("passwd")
@handle_errors
def user_passwd(
    login: Annotated[str, typer.Argument(help="The user's login.")],
    password_stdin: PasswordStdinOpt = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Set a user's password (the user's dashboard sessions end)."""
    from b2bcx.server.users import check_new_password, get_user, set_password

    with open_ws(workspace, read_only=True) as ws:
        if get_user(ws.backend, login) is None:
            from b2bcx.errors import NotFound

            raise NotFound(f"no user {login!r}")
    password = _read_password(password_stdin)
    check_new_password(password)
    with open_ws(workspace) as ws:
        user = set_password(
            ws.backend,
            login,
            password,
            hasher=_hasher(),
            audit=_audited("passwd"),
        )
    console.print(f"Set the password of {user.login}; their sessions were ended.")
