from core.models import Role


def test_home_page_lists_active_agencies(client, make_unit):
    province = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    make_unit("LS-SNV", parent=province, name_vi="Sở Nội vụ")
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "UBND tỉnh Lạng Sơn" in page and "Sở Nội vụ" in page


def test_admin_signs_in_and_sees_the_unit_tree(client, make_unit, make_user, login):
    province = make_unit("LS", kind="province", name_vi="UBND tỉnh Lạng Sơn")
    make_unit("LS-SNV", parent=province, name_vi="Sở Nội vụ")
    admin = make_user(Role.SYSTEM_ADMIN)
    login(client, admin)
    page = client.get("/quan-tri/don-vi").get_data(as_text=True)
    assert "Sở Nội vụ" in page and "LS-SNV" in page
