"""Every state change of the merchants app, one function per business action."""

from merchants.services.inbox import (  # noqa: F401
    inbox_messages,
    mark_inbox_read,
    open_inbox_message,
    unread_inbox_count,
)
from merchants.services.join_gifts import give_join_gifts  # noqa: F401
from merchants.services.login import request_login_code, verify_login_code  # noqa: F401
from merchants.services.members import (  # noqa: F401
    find_member_by_phone,
    join_member,
    normalize_phone,
    update_member,
    validate_member_fields,
)
from merchants.services.segments import (  # noqa: F401
    count_members,
    create_segment,
    describe_segment,
    members_in_segment,
    members_matching,
    preview_members,
)
from merchants.services.staff import add_staff, create_terminal, revoke_terminal, set_staff_role  # noqa: F401
