from server.domain.roles import PERMISSIONS, Role, can


def test_admin_manages_users_and_viewer_does_not():
    assert can("admin", "manage_users")
    assert not can("viewer", "manage_users")


def test_everyone_views():
    assert all(can(r, "view") for r in Role)


def test_unknown_role_or_permission_holds_nothing():
    assert not can("root", "view")
    assert not can("admin", "launch_rockets")


def test_moderator_runs_queue_but_cannot_issue_documents():
    assert can("moderator", "run_queue")
    assert not can("moderator", "issue_documents")


def test_every_permission_has_admin_or_is_restricted_on_purpose():
    assert all(Role.ADMIN in roles for roles in PERMISSIONS.values())
