"""Demo data drawn from the seed plans: Lạng Sơn province and its agencies, the Đồng Đăng–Lạng
Sơn border-gate economic zone authority, Đình Lập commune, and the Vân Phong economic zone
authority (Khánh Hòa). Loading is idempotent: existing codes are left as they are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.auth import normalise_username
from core.extensions import db
from core.models import Role, RoleGrant, Unit, User
from core.org import UnitData, create_unit, unit_by_code
from core.passwords import hash_password
from core.settings import ensure_default_settings

DEMO_PASSWORD = "langnghe-demo-2026"

PROVINCE_HOURS = "Thứ Hai – Thứ Sáu: 7h30–11h30, 13h30–17h00"
LS_ADDRESS = "Đường Hoàng Văn Thụ, phường Lương Văn Tri, tỉnh Lạng Sơn"

# (code, parent code, kind, Vietnamese name, English name, hotline, email)
UNITS: list[tuple[str, str | None, str, str, str, str | None, str | None]] = [
    ("LS", None, "province", "UBND tỉnh Lạng Sơn", "Lạng Sơn Provincial People's Committee",
     "0205 3812 345", "ubnd@langson.gov.vn"),
    ("LS-VP", "LS", "agency", "Văn phòng UBND tỉnh", "Office of the Provincial People's Committee",
     "0205 3812 346", "vanphong@langson.gov.vn"),
    ("LS-SNV", "LS", "agency", "Sở Nội vụ", "Department of Home Affairs", "0205 3870 123",
     "sonoivu@langson.gov.vn"),
    ("LS-SKHCN", "LS", "agency", "Sở Khoa học và Công nghệ",
     "Department of Science and Technology", "0205 3870 456", "sokhcn@langson.gov.vn"),
    ("LS-STC", "LS", "agency", "Sở Tài chính", "Department of Finance", "0205 3870 789",
     "sotaichinh@langson.gov.vn"),
    ("LS-TT", "LS", "agency", "Thanh tra tỉnh", "Provincial Inspectorate", "0205 3871 111",
     "thanhtra@langson.gov.vn"),
    ("LS-TTPVHCC", "LS", "service_centre", "Trung tâm Phục vụ hành chính công tỉnh",
     "Provincial Public Administrative Service Centre", "0205 3818 999",
     "ttpvhcc@langson.gov.vn"),
    ("LS-TTPVHCC-Q01", "LS-TTPVHCC", "desk", "Quầy Sở Nội vụ", "Home Affairs desk", None, None),
    ("LS-TTPVHCC-Q02", "LS-TTPVHCC", "desk", "Quầy Sở Tài chính", "Finance desk", None, None),
    ("LS-TTPVHCC-Q03", "LS-TTPVHCC", "desk", "Quầy Sở Khoa học và Công nghệ",
     "Science and Technology desk", None, None),
    ("LS-KKTCK", "LS", "agency", "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng - Lạng Sơn",
     "Đồng Đăng – Lạng Sơn Border-Gate Economic Zone Authority", "0205 3851 234",
     "bqlkktck@langson.gov.vn"),
    ("LS-KKTCK-VP", "LS-KKTCK", "department", "Văn phòng Ban Quản lý", "Office", None, None),
    ("LS-KKTCK-QHXD", "LS-KKTCK", "department", "Phòng Quản lý Quy hoạch và Xây dựng",
     "Planning and Construction Division", None, None),
    ("LS-KKTCK-DN", "LS-KKTCK", "department", "Phòng Quản lý Doanh nghiệp và Đầu tư",
     "Enterprise and Investment Division", None, None),
    ("LS-KKTCK-TTQLCK", "LS-KKTCK", "department", "Trung tâm Quản lý cửa khẩu",
     "Border-Gate Management Centre", None, None),
    ("LS-KKTCK-MC", "LS-KKTCK", "desk", "Bộ phận Một cửa Ban Quản lý",
     "One-stop desk of the Authority", "0205 3851 235", None),
    ("LS-DINHLAP", "LS", "commune", "UBND xã Đình Lập", "Đình Lập Commune People's Committee",
     "0205 3845 555", "ubnd.dinhlap@langson.gov.vn"),
    ("LS-DINHLAP-VP", "LS-DINHLAP", "department", "Văn phòng HĐND và UBND xã",
     "Office of the Commune Council and Committee", None, None),
    ("LS-DINHLAP-VHXH", "LS-DINHLAP", "department", "Phòng Văn hóa - Xã hội",
     "Culture and Social Affairs Division", None, None),
    ("LS-DINHLAP-KT", "LS-DINHLAP", "department", "Phòng Kinh tế", "Economic Division",
     None, None),
    ("LS-DINHLAP-TTPVHCC", "LS-DINHLAP", "service_centre",
     "Trung tâm Phục vụ hành chính công xã Đình Lập", "Commune Public Service Centre",
     "0205 3845 556", None),
    ("LS-DINHLAP-Q01", "LS-DINHLAP-TTPVHCC", "desk", "Quầy Tư pháp - Hộ tịch",
     "Justice and civil status desk", None, None),
    ("LS-DINHLAP-Q02", "LS-DINHLAP-TTPVHCC", "desk", "Quầy Đất đai - Xây dựng",
     "Land and construction desk", None, None),
    ("LS-DINHLAP-CA", "LS-DINHLAP", "department", "Công an xã Đình Lập", "Commune Police",
     "0205 3845 113", None),
    ("KH", None, "province", "UBND tỉnh Khánh Hòa", "Khánh Hòa Provincial People's Committee",
     None, None),
    ("KH-KKTVP", "KH", "agency", "Ban Quản lý Khu kinh tế Vân Phong",
     "Vân Phong Economic Zone Authority", "0258 3560 303", "bqlkktvp@khanhhoa.gov.vn"),
    ("KH-KKTVP-VP", "KH-KKTVP", "department", "Văn phòng Ban Quản lý", "Office", None, None),
    ("KH-KKTVP-KHTH", "KH-KKTVP", "department", "Phòng Kế hoạch – Tổng hợp",
     "Planning and General Affairs Division", None, None),
    ("KH-KKTVP-MC", "KH-KKTVP", "desk", "Bộ phận Một cửa Ban Quản lý",
     "One-stop desk of the Authority", "0258 3560 304", None),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    unit_code: str | None


ACCOUNTS = [
    DemoAccount("admin", "Quản trị hệ thống", Role.SYSTEM_ADMIN, None),
    DemoAccount("quantri.dinhlap", "Nông Văn Quản", Role.UNIT_ADMIN, "LS-DINHLAP"),
    DemoAccount("pakn.vanphong", "Hoàng Thị Tiếp", Role.PAKN_OFFICER, "LS"),
    DemoAccount("xuly.snv", "Lương Văn Xử", Role.HANDLER, "LS-SNV"),
    DemoAccount("lanhdao.snv", "Vi Thị Duyệt", Role.APPROVER, "LS-SNV"),
    DemoAccount("phantich.snv", "Triệu Văn Số", Role.ANALYST, "LS"),
    DemoAccount("motcua.tinh", "Lăng Thị Quầy", Role.DESK_STAFF, "LS-TTPVHCC"),
]

# Later packages register their own demo loaders here (called in order, after the core's).
DEMO_LOADERS: list[Callable[[], None]] = []


def load_demo_units() -> int:
    created = 0
    for order, (code, parent_code, kind, name_vi, name_en, hotline, email) in enumerate(UNITS):
        if unit_by_code(code) is not None:
            continue
        parent = unit_by_code(parent_code) if parent_code else None
        is_public_office = kind in ("province", "agency", "commune", "service_centre")
        create_unit(UnitData(
            code=code, name_vi=name_vi, name_en=name_en, kind=kind,
            parent_id=parent.id if parent else None, sort_order=order, hotline=hotline,
            email=email,
            address=LS_ADDRESS if code.startswith("LS") and is_public_office else None,
            opening_hours=PROVINCE_HOURS if is_public_office else None,
        ))
        created += 1
    return created


def load_demo_accounts() -> int:
    created = 0
    for account in ACCOUNTS:
        username = normalise_username(account.username)
        if db.session.scalar(db.select(User.id).where(User.username == username)):
            continue
        user = User(username=username, full_name=account.full_name,
                    password_hash=hash_password(DEMO_PASSWORD), must_change_password=False)
        db.session.add(user)
        unit = unit_by_code(account.unit_code) if account.unit_code else None
        db.session.add(RoleGrant(user=user, role=account.role.value,
                                 unit_id=unit.id if unit else None))
        created += 1
    db.session.flush()
    return created


def seed_demo() -> dict[str, int]:
    counts = {"units": load_demo_units(), "accounts": load_demo_accounts(),
              "settings": ensure_default_settings()}
    for loader in DEMO_LOADERS:
        loader()
    return counts


def demo_logins() -> list[tuple[str, str, str]]:
    """(account, role, unit) rows for the start-up banner."""
    rows = []
    for account in ACCOUNTS:
        unit: Unit | None = unit_by_code(account.unit_code) if account.unit_code else None
        rows.append((account.username, account.role.value, unit.name_vi if unit else "*"))
    return rows
