"""User-facing strings: Chinese (zh-CN) first, English beside it.

Nothing here names the city: ``{city_...}`` placeholders are filled from the city profile
of the request's data (:func:`city_fields`), so another city's data directory changes the
texts with it.
"""

from __future__ import annotations

from flask import has_app_context, request

from locator.values.city import CityProfile

LANGS = ("zh", "en")

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"zh": "{city_title}", "en": "{city_title}"},
    "tagline": {
        "zh": "找最近的爱心驿站、爱心妈妈小屋、职工服务中心和职工书屋",
        "en": "Find the nearest love station, mothers' room, service center or book room",
    },
    "layers": {"zh": "图层", "en": "Layers"},
    "count": {"zh": "数量", "en": "Count"},
    "data": {"zh": "数据", "en": "Data"},
    "sample": {"zh": "示例数据", "en": "sample data"},
    "real": {"zh": "真实数据", "en": "real data"},
    "sample_banner": {
        "zh": "注意：本页显示的设施为示例数据（程序生成），不是真实位置。",
        "en": "Note: the facilities shown here are sample data (generated), not real locations.",
    },
    "sample_banner_some": {
        "zh": "注意：{layers}为示例数据（程序生成），不是真实位置。",
        "en": "Note: {layers} are sample data (generated), not real locations.",
    },
    "sample_generated": {"zh": "示例数据（程序生成）", "en": "sample data (generated)"},
    "offline_banner": {
        "zh": "离线模式：没有网络，下面的结果来自手机上保存的数据（版本 {version}，{day} 生成）。",
        "en": "Offline: no network; these results come "
        "from the data kept on this phone (version {version}, made "
        "{day}).",
    },
    "offline_estimates": {
        "zh": "离线时距离为直线距离，时间为直线估算（不沿道路计算）。",
        "en": "Offline, distances are straight-line and times are straight-line "
        "estimates (not along streets).",
    },
    "not_packed": {
        "zh": "{layers}数量太多，没有存到手机上，离线时无法查找。",
        "en": "{layers}: too many to keep on the phone; not searchable offline.",
    },
    "offline_details_wait": {
        "zh": "没有网络时，这里显示设施的详情（来自手机上保存的离线数据）。",
        "en": "With no network, a facility's details show here (from the data kept on this phone).",
    },
    "offline_details_missing": {
        "zh": "离线数据里没有这个设施。请在有网络时再打开。",
        "en": "This facility is not in the offline data. Open it again with a connection.",
    },
    "no_pack": {
        "zh": "手机上还没有离线数据：请在有网络时打开一次本页，再离线使用。",
        "en": "No offline data on this phone yet: open this page once with a "
        "connection, then it works offline.",
    },
    "arrival_open": {"zh": "到达时开放", "en": "Open when you arrive"},
    "arrival_closed": {"zh": "到达时已关门", "en": "Closed when you arrive"},
    "arrival_unknown": {"zh": "开放时间未登记", "en": "Hours not recorded"},
    "arrive_closed": {
        "zh": "到达时已关门（{time} 关门）",
        "en": "Closed when you arrive (closes {time})",
    },
    "arrive_open": {
        "zh": "到达时已开门（{time} 开门）",
        "en": "Open when you arrive (opens {time})",
    },
    "arrival_unknown_state": {
        "zh": "到达时是否开放不明",
        "en": "Not known if open when you arrive",
    },
    "clear_filters": {"zh": "清除筛选", "en": "Clear filters"},
    "unknown_left_out": {
        "zh": "另有 {n} 个开放时间未登记，未列出。",
        "en": "{n} more with unknown hours, not listed.",
    },
    "show_unknown": {"zh": "显示开放时间未登记的", "en": "Show those with unknown hours"},
    "on_the_map": {"zh": "🗺️ 在地图上看", "en": "🗺️ On the map"},
    "towns_line": {
        "zh": "覆盖{city_name} {districts} 个县（市、区）、{towns} 个镇（街）",
        "en": "Covers {city_name}'s {districts} districts and {towns} towns/streets",
    },
    "hotline": {
        "zh": "骑手遇到困难？{city_hotline_label}：",
        "en": "Riders in trouble? Call {city_hotline_label}:",
    },
    "error_title_400": {"zh": "请求有误", "en": "Something is wrong with the request"},
    "error_title_404": {"zh": "找不到页面", "en": "Not found"},
    "error_title_405": {"zh": "不支持这种请求方式", "en": "Method not allowed"},
    "error_title_500": {"zh": "服务器出错", "en": "Server error"},
    "error_title_503": {"zh": "暂时无法查询", "en": "Temporarily unavailable"},
    "error_unavailable": {
        "zh": "数据服务暂时不可用，请过几秒钟再试。",
        "en": "The data service is unavailable for a moment; try again in a few seconds.",
    },
    "error_param_lead": {
        "zh": "参数「{param}」的值无效，请检查后重试。",
        "en": "The value of the parameter “{param}” is not valid.",
    },
    "error_not_found": {"zh": "找不到这个页面或设施。", "en": "No such page or facility."},
    "back_home": {"zh": "返回首页", "en": "Back to the home page"},
    "switch_lang": {"zh": "English", "en": "中文"},
    "attribution": {"zh": "{city_attribution}", "en": "{city_attribution}"},
    "locate_me": {"zh": "📍 定位我", "en": "📍 Locate me"},
    "locating": {"zh": "正在定位……", "en": "Locating…"},
    "locate_failed": {
        "zh": "无法获取你的位置（可能未授权或没有信号）。请在下方选择镇（街），或在地图上点选。",
        "en": "Could not get your position (permission denied or no signal). "
        "Pick your town below, or tap the map.",
    },
    "pick_town": {"zh": "选择所在镇（街）", "en": "Pick your town or street"},
    "find": {"zh": "查找附近", "en": "Find nearby"},
    "tap_map": {"zh": "🗺️ 在地图上点选位置", "en": "🗺️ Tap a place on the map"},
    "position_town": {
        "zh": "位置：{town}驻地（按镇街选择）",
        "en": "Position: the seat of {town} (picked by town)",
    },
    "position_point": {"zh": "位置：{lat:.5f}, {lon:.5f}", "en": "Position: {lat:.5f}, {lon:.5f}"},
    "outside": {
        "zh": "注意：这个位置在{city_name}以外约 {km:.0f} 公里，下面是{city_short}最近的设施。",
        "en": "Note: this position is about {km:.0f} km outside {city_name}; below are "
        "the nearest facilities in {city_short}.",
    },
    "filters": {"zh": "筛选", "en": "Filters"},
    "change_position": {"zh": "换个位置", "en": "Change position"},
    "open_now": {"zh": "到达时开放", "en": "Open when I arrive"},
    "apply": {"zh": "应用筛选", "en": "Apply"},
    "walk": {"zh": "步行约 {min} 分钟", "en": "about {min} min on foot"},
    "ebike": {"zh": "电动车约 {min} 分钟", "en": "about {min} min by e-bike"},
    "walk_long": {"zh": "步行约 {text}", "en": "about {text} on foot"},
    "ebike_long": {"zh": "电动车约 {text}", "en": "about {text} by e-bike"},
    "too_far_walk": {"zh": "太远，不宜步行", "en": "too far to walk"},
    "too_far": {"zh": "太远，不作时间估算", "en": "too far for a time estimate"},
    "travel_label": {"zh": "出行方式", "en": "I travel"},
    "travel_walk": {"zh": "🚶 步行", "en": "🚶 Walk"},
    "travel_ebike": {"zh": "🛵 我骑电动车", "en": "🛵 E-bike"},
    "relocate": {"zh": "📍 重新定位", "en": "📍 Locate"},
    "locate_insecure": {
        "zh": "本网站未使用 HTTPS 安全连接，浏览器不允许在这里定位。"
        "请在下方选择镇（街），或在地图上点选位置。",
        "en": "This site is not served over HTTPS, so the browser does not "
        "allow locating here. Pick your town below, or tap the map.",
    },
    "locate_denied": {
        "zh": "定位授权被拒绝。请在浏览器或系统设置中允许本网站使用位置后重试，"
        "或在下方选择镇（街）。",
        "en": "Location permission was refused. Allow this site to use your "
        "location in the browser or phone settings and try again, or pick "
        "your town below.",
    },
    "locate_unavailable": {
        "zh": "暂时无法确定位置（可能在室内或信号弱）。请到开阔处重试，或在下方选择镇（街）。",
        "en": "Your position is not available right now (indoors or weak "
        "signal?). Try again in the open, or pick your town below.",
    },
    "locate_timeout": {
        "zh": "定位超时。请再试一次，或在下方选择镇（街）。",
        "en": "Locating took too long. Try again, or pick your town below.",
    },
    "locate_insecure_map": {
        "zh": "本网站未使用 HTTPS 安全连接，浏览器不允许在这里定位。请在地图上点选你的位置。",
        "en": "This site is not served over HTTPS, so the browser does not "
        "allow locating here. Tap your position on the map.",
    },
    "locate_denied_map": {
        "zh": "定位授权被拒绝。请在浏览器或系统设置中允许本网站使用位置，或在地图上点选你的位置。",
        "en": "Location permission was refused. Allow it in the browser or "
        "phone settings, or tap your position on the map.",
    },
    "locate_unavailable_map": {
        "zh": "暂时无法确定位置（可能在室内或信号弱）。请到开阔处重试，或在地图上点选你的位置。",
        "en": "Your position is not available right now. Try again in "
        "the open, or tap your position on the map.",
    },
    "locate_timeout_map": {
        "zh": "定位超时。请再试一次，或在地图上点选你的位置。",
        "en": "Locating took too long. Try again, or tap your position on the map.",
    },
    "hotline_fallback": {
        "zh": "☎ 工会热线（非本站电话）",
        "en": "☎ Union hotline (not this station)",
    },
    "hotline_fallback_label": {
        "zh": "工会热线（非本站电话）：本站未登记电话，拨打{city_hotline_label} {city_hotline}",
        "en": "Union hotline (not this station): no phone is listed "
        "for this station; call {city_hotline_label} {city_hotline}",
    },
    "layer_hours_unknown": {
        "zh": "这一类设施的开放时间尚未登记，请到达前电话确认或直接前往。",
        "en": "Opening hours of these places are not recorded yet; call ahead or just go.",
    },
    "nav_label": {"zh": "{text}：{name}", "en": "{text}: {name}"},
    "details_label": {"zh": "详情：{name}", "en": "Details: {name}"},
    "call_label": {"zh": "拨打电话：{name}", "en": "Call {name}"},
    "open_until": {"zh": "营业中 · {time} 关门", "en": "Open · closes {time}"},
    "open_always": {"zh": "营业中 · 24 小时", "en": "Open · 24 hours"},
    "closed_until": {"zh": "已关门 · {time} 开门", "en": "Closed · opens {time}"},
    "closed": {"zh": "已关门", "en": "Closed"},
    "hours_unknown": {"zh": "开放时间未登记", "en": "Hours not recorded"},
    "osm_syntax": {"zh": "（OpenStreetMap 开放时间写法）", "en": "(OpenStreetMap syntax)"},
    "call": {"zh": "📞 拨打电话", "en": "📞 Call"},
    "no_phone": {"zh": "未登记电话", "en": "No phone listed"},
    "navigate": {"zh": "导航", "en": "Navigate"},
    "amap": {"zh": "高德地图", "en": "AMap"},
    "baidu": {"zh": "百度地图", "en": "Baidu Maps"},
    "geo": {"zh": "其他地图", "en": "Other map app"},
    "details": {"zh": "详情", "en": "Details"},
    "none_found": {"zh": "附近没有符合条件的设施。", "en": "Nothing nearby matches these filters."},
    "map": {"zh": "地图", "en": "Map"},
    "see_on_map": {"zh": "🗺️ 地图", "en": "🗺️ Map"},
    "home": {"zh": "首页", "en": "Home"},
    "json": {"zh": "JSON 数据", "en": "JSON"},
    "estimate_note": {
        "zh": "距离为直线距离；步行和电动车时间为估算（直线距离 × 1.3 绕行系数，"
        "步行 4.5 公里/小时，电动车 15 公里/小时）。",
        "en": "Distances are straight-line; walking and e-bike times are "
        "estimates (straight line × 1.3 for detours, walking 4.5 km/h, "
        "e-bike 15 km/h).",
    },
    # along the street network (locator.operations.network_nearest)
    "net_walk": {"zh": "步行 {km}", "en": "On foot {km}"},
    "net_ebike": {"zh": "骑行 {km}", "en": "By e-bike {km}"},
    "net_min": {"zh": "约 {min} 分钟", "en": "about {min} min"},
    "net_long": {"zh": "约 {text}", "en": "about {text}"},
    "along_streets": {"zh": "沿道路", "en": "along streets"},
    "straight_estimate": {"zh": "直线估算", "en": "straight-line estimate"},
    "partly_estimate": {
        "zh": "沿道路，部分为直线估算",
        "en": "along streets, partly straight-line estimates",
    },
    "reason_no-network": {"zh": "没有道路网络数据", "en": "no street network data"},
    "reason_origin-off-network": {
        "zh": "你的位置离道路网络太远",
        "en": "your position is too far from the street network",
    },
    "reason_facility-off-network": {
        "zh": "该设施 1 公里内没有连通主路网的道路",
        "en": "no street joined to the main network within 1 km of this place",
    },
    "reason_unreachable": {
        "zh": "沿道路 2 小时内到不了该设施",
        "en": "not reachable along the streets within 2 hours",
    },
    "network_note": {
        "zh": "距离和时间沿道路计算（OpenStreetMap 道路数据，{date}）；"
        "标“直线估算”的为直线距离 × 1.3 的估算。",
        "en": "Distances and times are along the streets (OpenStreetMap street data of "
        "{date}); those marked straight-line estimate are straight line × 1.3.",
    },
    "network_fixture": {
        "zh": "测试用道路网络，非真实道路",
        "en": "a test street network, not real streets",
    },
    "origin_off_note": {
        "zh": "你的位置离道路网络超过 1 公里，以下距离和时间均为直线估算。",
        "en": "Your position is more than 1 km from the street network: every distance "
        "and time below is a straight-line estimate.",
    },
    "network_credit": {
        "zh": "道路网络 {attribution}",
        "en": "Street network {attribution}",
    },
    "map_thinned": {
        "zh": "{layer}共 {total} 处，地图上只随机显示其中 {drawn} 处；完整数据：",
        "en": "{layer}: {total} in all; the map shows a random {drawn} of them. All of them:",
    },
    "find_here": {"zh": "查找这里附近的设施", "en": "Find facilities near here"},
    "you_are_here": {"zh": "你在这里", "en": "You are here"},
    "map_tools": {"zh": "地图缩放和定位", "en": "Zoom and locate"},
    "attribution_toggle": {"zh": "地图数据来源", "en": "Map data sources"},
    "map_load_failed": {
        "zh": "设施数据没有加载成功，请检查网络后刷新。",
        "en": "The facilities did not load; check the connection and reload.",
    },
    "map_nojs": {
        "zh": "地图需要 JavaScript。没有 JavaScript 也可以用列表查找最近的设施：",
        "en": "The map needs JavaScript. Without it, the list finds the nearest facilities:",
    },
    "map_list": {"zh": "按位置或镇（街）查找", "en": "Find by position or town"},
    "routes_layer": {"zh": "乡村游路线", "en": "Rural routes"},
    "boundaries_layer": {"zh": "区县边界", "en": "Districts"},
    "chip_love_stations": {"zh": "爱心驿站", "en": "Love stations"},
    "chip_mothers_rooms": {"zh": "妈妈小屋", "en": "Mothers' rooms"},
    "chip_service_centers": {"zh": "服务中心", "en": "Service centers"},
    "chip_book_rooms": {"zh": "职工书屋", "en": "Book rooms"},
    "map_hint": {
        "zh": "点击地图上的任意位置，查找附近的设施。",
        "en": "Tap anywhere on the map to find facilities near that place.",
    },
    "address": {"zh": "地址", "en": "Address"},
    "phone": {"zh": "电话", "en": "Phone"},
    "hours": {"zh": "开放时间", "en": "Opening hours"},
    "amenities": {"zh": "设施", "en": "Amenities"},
    "amenities_unknown": {"zh": "未登记", "en": "Not recorded"},
    "wheelchair": {"zh": "无障碍通行", "en": "Wheelchair access"},
    "operator": {"zh": "运营单位", "en": "Operator"},
    "verified_on": {"zh": "核实日期", "en": "Verified on"},
    # reports from the street (issue #25): what the rider sees and taps
    "verified_days": {"zh": "{n} 天前核实", "en": "verified {n} days ago"},
    "verified_day": {"zh": "1 天前核实", "en": "verified 1 day ago"},
    "verified_today": {"zh": "今天核实", "en": "verified today"},
    "report_wrong": {"zh": "信息有误？", "en": "Something wrong?"},
    "report_confirm": {"zh": "我刚去过，信息正确", "en": "I was just there, it's right"},
    "report_pick": {"zh": "哪里不对？", "en": "What is wrong?"},
    "report_closed": {"zh": "已永久关闭", "en": "Closed for good"},
    "report_moved": {"zh": "不在这里", "en": "Not here"},
    "report_here_now": {"zh": "我就在这里", "en": "I'm here now"},
    "report_tap_map": {
        "zh": "或在下面的地图上点正确的位置",
        "en": "or tap the right place on the map below",
    },
    "report_place_set": {"zh": "已选位置：{lon}, {lat}", "en": "Place chosen: {lon}, {lat}"},
    "report_place_needed": {
        "zh": "请先给出正确的位置",
        "en": "First give the right place",
    },
    "report_hours": {"zh": "开放时间不对", "en": "Hours wrong"},
    "report_hours_seen": {"zh": "你看到的开放时间", "en": "The hours you saw"},
    "report_amenity": {"zh": "设施缺失或损坏", "en": "Amenity missing or broken"},
    "report_which_amenity": {"zh": "哪一项", "en": "Which one"},
    "report_state": {"zh": "情况", "en": "What happened"},
    "report_missing": {"zh": "没有", "en": "Missing"},
    "report_broken": {"zh": "坏了", "en": "Broken"},
    "report_phone": {"zh": "电话不对", "en": "Phone wrong"},
    "report_phone_seen": {"zh": "正确的电话（可不填）", "en": "The right number (optional)"},
    "report_other": {"zh": "其他", "en": "Other"},
    "report_text": {
        "zh": "请简单说明（最多 280 字）",
        "en": "What is wrong (280 characters at most)",
    },
    "report_send": {"zh": "发送", "en": "Send"},
    "report_close": {"zh": "关闭", "en": "Close"},
    "report_honeypot": {"zh": "请勿填写", "en": "Leave empty"},
    "report_received": {"zh": "已收到，谢谢", "en": "Received, thank you"},
    "report_waiting": {
        "zh": "待发送：有网络时自动发送",
        "en": "Waiting to send: it goes when there is signal",
    },
    "report_sent": {"zh": "已发送，谢谢", "en": "Sent, thank you"},
    "report_failed": {"zh": "没有发送：{reason}", "en": "Not sent: {reason}"},
    "report_sending": {"zh": "正在发送…", "en": "Sending…"},
    "report_need": {"zh": "这里需要一个驿站", "en": "A station is needed here"},
    "report_need_start": {"zh": "📍 这里需要驿站", "en": "📍 Station needed"},
    "report_need_pick": {
        "zh": "在地图上点需要驿站的地方",
        "en": "Tap the map where a station is needed",
    },
    "report_need_here": {
        "zh": "这里需要一个驿站：{lon}, {lat}",
        "en": "A station is needed here: {lon}, {lat}",
    },
    "report_work": {"zh": "你的工作（可不填）", "en": "Your work (optional)"},
    "work_any": {"zh": "不说", "en": "Not saying"},
    "work_delivery": {"zh": "外卖快递", "en": "Delivery"},
    "work_sanitation": {"zh": "环卫", "en": "Sanitation"},
    "work_construction": {"zh": "建筑", "en": "Construction"},
    "work_other": {"zh": "其他", "en": "Other"},
    "report_locating": {"zh": "正在定位…", "en": "Finding your position…"},
    "report_no_position": {
        "zh": "无法获得位置：请在地图上点选",
        "en": "No position: tap the map instead",
    },
    "source": {"zh": "数据来源", "en": "Source"},
    "today": {"zh": "今天", "en": "today"},
    "day_closed": {"zh": "不开放", "en": "closed"},
    "day_unknown": {"zh": "未知", "en": "unknown"},
    "kind_holiday": {"zh": "法定假日", "en": "public holiday"},
    "kind_unknown": {"zh": "假日安排未公布", "en": "holiday schedule not out yet"},
    "calendar_unknown": {
        "zh": "注意：部分日期的法定节假日安排尚未公布，这些日期如遇假日或调休，"
        "实际开放时间可能不同。",
        "en": "Note: the official holiday schedule for some of these days is "
        "not published yet; on a public holiday or make-up working day "
        "the real hours may differ.",
    },
    "kind_makeup": {"zh": "调休上班", "en": "make-up working day"},
    "wheelchair_yes": {"zh": "可通行", "en": "yes"},
    "wheelchair_limited": {"zh": "部分可通行", "en": "limited"},
    "wheelchair_no": {"zh": "不可通行", "en": "no"},
    "wheelchair_unknown": {"zh": "未知", "en": "unknown"},
    "share": {"zh": "分享链接", "en": "Share link"},
    "routes": {"zh": "乡村游", "en": "Routes"},
    "planner": {"zh": "规划", "en": "Planner"},
    "ogc_collections": {"zh": "数据集", "en": "Collections"},
    "ogc_conformance": {"zh": "符合的标准类", "en": "Conformance classes"},
    "ogc_items": {"zh": "浏览要素", "en": "Browse the features"},
    "ogc_queryables": {"zh": "可查询属性", "en": "Queryables"},
    "api_param": {"zh": "参数", "en": "Parameter"},
    "api_schema": {"zh": "取值", "en": "Values"},
    "api_description": {"zh": "说明", "en": "Description"},
    "api_required": {"zh": "必填", "en": "required"},
    "api_responses": {"zh": "响应", "en": "Responses"},
    "ogc_matched": {
        "zh": "共 {matched} 个，显示第 {start} 起的 {shown} 个",
        "en": "{matched} in all; {shown} shown from no. {start}",
    },
    "ogc_prev": {"zh": "上一页", "en": "Previous"},
    "ogc_next": {"zh": "下一页", "en": "Next"},
    "approximate": {"zh": "近似", "en": "approximate"},
    "planner_title": {"zh": "服务覆盖分析", "en": "Coverage planner"},
    "planner_intro": {
        "zh": "哪些镇街在步行范围内没有服务？下一批站点放在哪里最有用？"
        "在{city_short}陆地的规则网格上（{city_metric_crs}）计算：按半径为直线距离，"
        "按出行时间则沿道路（有道路网时）。",
        "en": "Which towns have no service within reach, and where would the "
        "next stations do the most good? Computed on a regular grid over "
        "{city_short}'s land ({city_metric_crs}): a radius is a straight line, a travel "
        "time is along the streets (with a street network).",
    },
    "radius": {"zh": "覆盖半径（米）", "en": "Radius (m)"},
    "reach": {"zh": "覆盖范围按", "en": "Reach by"},
    "reach_radius": {"zh": "半径 · radius（直线距离）", "en": "Radius · 半径 (straight line)"},
    "reach_time": {"zh": "出行时间 · travel time", "en": "Travel time · 出行时间"},
    "minutes": {"zh": "出行时间（分钟）", "en": "Travel time (minutes)"},
    "travel_way": {"zh": "出行方式", "en": "Way of travel"},
    "planner_walk": {"zh": "步行", "en": "walking"},
    "planner_ebike": {"zh": "电动车", "en": "by e-bike"},
    "reach_words": {
        "zh": "{travel} {minutes} 分钟（{basis}）",
        "en": "{minutes} min {travel} ({basis})",
    },
    "radius_words": {"zh": "{radius} 米（直线）", "en": "{radius} m (straight line)"},
    "reach_network": {
        "zh": "沿道路 · along streets：出行时间按路网计算（{source}，{date}；{attribution}）。",
        "en": "Along streets · 沿道路: travel times along the street network ({source}, "
        "{date}; {attribution}).",
    },
    "reach_fixture": {
        "zh": "注意：此路网为测试用数据（程序生成），不是真实道路。",
        "en": "Note: this street network is a test fixture (generated), not real streets.",
    },
    "reach_unreachable": {
        "zh": "{km2} 平方公里的网格无法到达任何计入设施，计为未覆盖。",
        "en": "{km2} km² of cells reach no counted facility: counted as not covered.",
    },
    "reach_estimated": {
        "zh": "部分为直线估算 · partly straight-line estimates：{km2} 平方公里的网格不在路网上"
        "或最近的设施不在路网上（{facilities} 处设施不在路网上），按直线距离 × 1.3 ÷ 速度估算"
        "（{minutes} 分钟即 {radius} 米）。",
        "en": "Partly straight-line estimates · 部分为直线估算: {km2} km² of cells are off "
        "the street network or nearest a facility off it ({facilities} facilities off it), "
        "estimated as straight-line distance x 1.3 / speed ({minutes} min is {radius} m).",
    },
    "reach_network_none": {
        "zh": "直线估算 · straight-line estimate：这些网格或计入的设施都不在路网上，"
        "{minutes} 分钟按直线距离 × 1.3 ÷ 速度估算，即 {radius} 米半径。",
        "en": "Straight-line estimate · 直线估算: these cells, or the facilities counted, "
        "are all off the street network, so {minutes} min is estimated as straight-line "
        "distance x 1.3 / speed: a {radius} m radius.",
    },
    "reach_straight": {
        "zh": "直线估算 · straight-line estimate：没有路网，"
        "{minutes} 分钟按直线距离 × 1.3 ÷ 速度估算"
        "（步行 4.5、电动车 15 公里/小时），即 {radius} 米半径。",
        "en": "Straight-line estimate · 直线估算: no street network, so {minutes} min is "
        "estimated as straight-line distance x 1.3 / speed (walking 4.5, e-bike 15 km/h): "
        "a {radius} m radius.",
    },
    "minutes_snapped": {
        "zh": "按 {minutes} 分钟计算：出行时间取固定档位，与所填 {asked} 分钟最接近的一档",
        "en": "Computed for {minutes} min: the planner's travel times come in fixed steps, "
        "and this is the nearest to the {asked} min asked for",
    },
    "city_share_area_reach": {
        "zh": "全市陆地面积的 {share}% 在{reach}以内（按面积，不计人口）",
        "en": "{share}% of the city's land is within {reach} (by area, not people)",
    },
    "city_share_people_reach": {
        "zh": "全市 {people} 人中 {share}%（约 {reached} 人）在{reach}以内",
        "en": "{share}% of the city's {people} people (about {reached}) are within {reach}",
    },
    "partial_share_reach": {
        "zh": "需求只覆盖{covers}（{people} 人）：其中 {share}% 在{reach}以内——不是全市数字",
        "en": "The demand covers {covers} only ({people} people): {share}% of them are "
        "within {reach} — not a figure for the whole city",
    },
    "meaning_share_time": {
        "zh": "覆盖比例：网格中心到最近一处计入设施用时不超过{reach}的网格中的{what}占比。",
        "en": "Covered share: the share of the {what} in grid cells whose centre reaches "
        "the nearest counted facility within {reach}.",
    },
    "meaning_what_people": {"zh": "人口", "en": "people"},
    "meaning_what_land": {"zh": "陆地面积", "en": "land"},
    "col_mean_min": {"zh": "平均时间", "en": "Mean time"},
    "col_max_min": {"zh": "最长时间", "en": "Longest time"},
    "col_unreachable": {"zh": "无法到达（平方公里）", "en": "Unreachable (km²)"},
    "col_estimated": {"zh": "直线估算（平方公里）", "en": "Estimated (km²)"},
    "minutes_value": {"zh": "{minutes} 分钟", "en": "{minutes} min"},
    "at_time": {
        "zh": "时间（只计开放的设施；留空为全部）",
        "en": "Time (count only those open; empty: all)",
    },
    "by": {"zh": "统计单元", "en": "Figures per"},
    "by_district": {"zh": "县（市、区）", "en": "district"},
    "by_town": {"zh": "镇（街，近似范围）", "en": "town (approximate areas)"},
    "cell": {"zh": "网格大小", "en": "Grid cell"},
    "demand": {"zh": "需求（加权）", "en": "Demand (weights)"},
    "by_area": {"zh": "不加权：按面积", "en": "none: by area"},
    "by_requests": {
        "zh": "骑手请求：“这里需要一个驿站”",
        "en": 'riders\' requests: "a station is needed here"',
    },
    "heshan_2020": {
        "zh": "仅鹤山市 2020 年人口普查（按镇）",
        "en": "Heshan only, 2020 census (by town)",
    },
    "demand_file": {
        "zh": "或上传需求文件（CSV：经度、纬度、权重；或 GeoJSON）",
        "en": "or upload demand (CSV: lon, lat, weight; or GeoJSON)",
    },
    "demand_coord": {"zh": "上传文件的坐标系", "en": "Coordinates of the upload"},
    "suggest_n": {"zh": "建议新增站点数", "en": "New sites to suggest"},
    "candidates_file": {
        "zh": "候选场所（可选，CSV 经度、纬度）",
        "en": "Candidate premises (optional, CSV lon, lat)",
    },
    "run_analysis": {"zh": "开始分析", "en": "Analyse"},
    "result": {"zh": "结果", "en": "Result"},
    "city_share": {
        "zh": "全市 {share}% 在 {radius} 米范围内",
        "en": "{share}% of the city is within {radius} m",
    },
    "city_share_area": {
        "zh": "全市陆地面积的 {share}% 在 {radius} 米范围内（按面积，不计人口）",
        "en": "{share}% of the city's land is within {radius} m (by area, not people)",
    },
    "area_warning": {
        "zh": "按面积计时，山地、水面和海岛与城区同等重要；"
        "规划问的通常是“多少人够得着”，请选人口普查需求。",
        "en": "By area, hills, water and islands count as much as the town centres; "
        "a planner usually asks how many people are within reach: choose the census demand.",
    },
    "city_share_people": {
        "zh": "全市 {people} 人中 {share}%（约 {reached} 人）在 {radius} 米范围内",
        "en": "{share}% of the city's {people} people (about {reached}) are within {radius} m",
    },
    "radius_snapped": {
        "zh": "按 {radius} 米计算：规划半径取固定档位，与所填 {asked} 米最接近的一档",
        "en": "Computed for {radius} m: the planner's radii come in fixed steps, and this is "
        "the nearest to the {asked} m asked for",
    },
    "partial_share": {
        "zh": "需求只覆盖{covers}（{people} 人）：其中 {share}% 在 {radius} 米范围内——不是全市数字",
        "en": "The demand covers {covers} only ({people} people): {share}% of them are "
        "within {radius} m — not a figure for the whole city",
    },
    "partial_note": {
        "zh": "仅覆盖 {covers}：{people} 人。其他县（市、区）没有需求数据，不计入，显示为“—”。",
        "en": "Covers {covers} only: {people} people. The other districts have no demand "
        "in it and are left out (shown as —).",
    },
    "demand_is": {"zh": "按需求加权：{label}", "en": "Weighted by demand: {label}"},
    "meaning_title": {"zh": "这些数字的含义", "en": "What these numbers mean"},
    "meaning_share_demand": {
        "zh": "覆盖比例：住在离最近一处计入设施 {radius} 米（直线）以内的人口占比；"
        "每个人按所在网格中心计算。",
        "en": "Covered share: the share of the people who live within {radius} m (straight "
        "line) of the nearest counted facility, each person placed at their grid cell's centre.",
    },
    "meaning_share_area": {
        "zh": "覆盖比例：离最近一处计入设施 {radius} 米（直线）以内的陆地面积占比，不计人口。",
        "en": "Covered share: the share of the land within {radius} m (straight line) of the "
        "nearest counted facility, whoever lives there.",
    },
    "meaning_distance": {
        "zh": "距离为网格中心到最近设施的直线距离（{crs}，{cell} 米网格），不是道路距离。",
        "en": "Distances are straight lines from the cell centres to the nearest facility "
        "({crs}, {cell} m cells), not along roads.",
    },
    "meaning_suggest_demand": {
        "zh": "建议站点：在保留全部现有设施的前提下，"
        "使范围内新增的人数最多的 N 个位置（最大覆盖选址）。",
        "en": "Suggested sites: the N places that bring the most people newly within reach, "
        "keeping every existing facility (maximal covering location).",
    },
    "meaning_suggest_area": {
        "zh": "建议站点：在保留全部现有设施的前提下，"
        "使范围内新增面积最大的 N 个位置（不计人口，常落在海岛和山区）。",
        "en": "Suggested sites: the N places that bring the most land newly within reach, "
        "keeping every existing facility (not people: they often land on islands and hills).",
    },
    "meaning_quality": {
        "zh": "“最优”表示在所列候选点和汇总需求上已求得精确最优；"
        "否则给出贪心加交换的结果和可证明的差距上限。",
        "en": "“Optimal” means solved exactly on the stated candidates and gathered demand; "
        "otherwise the greedy-and-swap choice is given with a proven bound on how far it "
        "can be from the best possible.",
    },
    "solution_optimal": {"zh": "最优 · optimal", "en": "Optimal · 最优"},
    "solution_within": {
        "zh": "与最优解的差距不超过 {within}%（可证明的上限）",
        "en": "Within {within}% of the best possible (a proven bound)",
    },
    "solution_model": {
        "zh": "（在 {candidates} 个候选点、"
        "按 {bin_m} 米方格汇总的 {bins} 个未覆盖需求块上求解；各站新增人数在网格上逐站精确计算）",
        "en": "(chosen among {candidates} candidate points over {bins} blocks of uncovered "
        "demand gathered at {bin_m} m; each site's gain then measured on the grid)",
    },
    "planner_map": {"zh": "覆盖地图", "en": "Coverage map"},
    "census_2020": {
        "zh": "全市 2020 年人口普查（默认）",
        "en": "Whole city, 2020 census (default)",
    },
    "counted": {"zh": "计入 {n} 处设施", "en": "{n} facilities counted"},
    "at_moment": {"zh": "只计 {at} 开放的设施", "en": "only those open at {at}"},
    "unknown_hours_left_out": {
        "zh": "{n} 处开放时间未知，未计入",
        "en": "{n} with unknown hours left out",
    },
    "towns_approximate": {
        "zh": "* 镇（街）范围为近似（驻地的泰森多边形），镇街数字同样近似。",
        "en": "* Town areas are approximate (Voronoi cells of the seats), and "
        "so are the per-town figures.",
    },
    "towns_without": {"zh": "{n} 个镇（街）没有任何 {layer}：", "en": "{n} towns have no {layer}:"},
    "every_town_has": {
        "zh": "全部 73 个镇（街）都有{layer}。",
        "en": "Every one of the 73 towns has at least one: {layer}.",
    },
    "suggested_sites": {"zh": "建议新增站点", "en": "Suggested sites"},
    "gain_people": {"zh": "新增覆盖 {gain} 人", "en": "brings {gain} people within reach"},
    "gain_km2": {"zh": "新增覆盖 {gain} 平方公里", "en": "newly covers {gain} km²"},
    "suggest_total": {
        "zh": "覆盖比例从 {before}% 提高到 {after}%。",
        "en": "Covered share from {before}% to {after}%.",
    },
    "by_district_bars": {"zh": "各县（市、区）覆盖比例", "en": "Covered share by district"},
    "table": {"zh": "明细（点表头排序）", "en": "Figures (tap a heading to sort)"},
    "code": {"zh": "代码", "en": "Code"},
    "col_name": {"zh": "名称", "en": "Name"},
    "col_area": {"zh": "面积（km²）", "en": "Area (km²)"},
    "col_facilities": {"zh": "设施", "en": "Facilities"},
    "col_share": {"zh": "覆盖", "en": "Covered"},
    "col_mean": {"zh": "平均距离", "en": "Mean distance"},
    "col_max": {"zh": "最远距离", "en": "Max distance"},
    "col_uncovered": {"zh": "未覆盖（km²）", "en": "Uncovered (km²)"},
    "downloads_data": {"zh": "下载数据", "en": "Download the figures"},
    "downloads_upload": {
        "zh": "下载链接按相同参数重新计算，但不含上传的文件；带文件的结果请用 API 的 POST。",
        "en": "The downloads recompute with the same parameters but without "
        "the uploaded file; POST the file to the API for those.",
    },
    "routes_title": {"zh": "乡村游路线", "en": "Rural rest routes"},
    "routes_intro": {"zh": "{city_routes_intro}", "en": "{city_routes_intro}"},
    "routes_intro_generic": {
        "zh": "{city_name}总工会的职工疗休养乡村游路线。",
        "en": "Rural rest routes for workers of the {city_name} federation of trade unions.",
    },
    "no_routes": {
        "zh": "{city_name}暂无乡村游路线数据。",
        "en": "No rural routes are listed for {city_name} yet.",
    },
    "illustrative_banner_roads": {
        "zh": "注意：官方路线的站点名单尚未公开，这里的路线是示意（站点取自公开坐标或镇驻地）；"
        "站点之间的路段尽量沿道路，个别无法沿道路的路段为直线，并已注明。",
        "en": "Note: the official stop lists are not public; these routes are illustrative "
        "(stops from public coordinates or town seats); legs follow the roads where they "
        "can, and a leg that cannot is a straight line and says so.",
    },
    "legs_title": {"zh": "各段路程", "en": "Legs"},
    "leg_stops": {"zh": "第 {a} → {b} 站", "en": "Stop {a} → {b}"},
    "leg_times": {
        "zh": "{km:.1f} 公里 · 车程约 {coach} · 骑行约 {bike}",
        "en": "{km:.1f} km · about {coach} by coach · about {bike} by bike",
    },
    "bike_straight": {
        "zh": "骑行时间为直线估算（{reason}）",
        "en": "the bike time is a straight-line estimate ({reason})",
    },
    "bike_roads": {"zh": "骑行时间沿道路计算", "en": "the bike time is measured along roads"},
    "basis_network": {"zh": "沿道路 · along roads", "en": "along roads · 沿道路"},
    "basis_straight": {"zh": "直线 · straight line", "en": "straight line · 直线"},
    "bike_min": {"zh": "骑行约 {text}", "en": "about {text} by bike"},
    "legs_share": {
        "zh": "全程 {pct:.0f}% 沿道路测量，其余为直线估算。",
        "en": "{pct:.0f}% of the length is measured along roads, the rest is a "
        "straight-line estimate.",
    },
    "legs_all_roads": {
        "zh": "全程沿道路测量（长度和时间按道路网计算）。",
        "en": "Measured along roads all the way (lengths and times on the street network).",
    },
    "legs_share_short": {"zh": "{pct:.0f}% 沿道路", "en": "{pct:.0f}% along roads"},
    "legs_none_routed": {
        "zh": "没有一段能沿道路计算：各段为直线估算（原因见各段）。",
        "en": "No leg could follow the roads: every leg is a straight-line estimate (see "
        "why under each).",
    },
    "leg_reason": {"zh": "原因：{reason}", "en": "Why: {reason}"},
    "legs_no_network": {
        "zh": "未载入道路网：各段为直线估算。",
        "en": "No street network loaded: every leg is a straight-line estimate.",
    },
    "illustrative_banner": {
        "zh": "注意：官方路线的站点名单尚未公开，这里的路线是示意（站点取自公开坐标或镇驻地），"
        "站点之间为直线，不是实际道路。",
        "en": "Note: the official stop lists are not public; these routes are illustrative "
        "(stops from public coordinates or town seats), and segments are straight "
        "lines, not roads.",
    },
    "district": {"zh": "县（市、区）", "en": "District"},
    "theme": {"zh": "主题", "en": "Theme"},
    "any": {"zh": "全部", "en": "All"},
    "show": {"zh": "筛选", "en": "Show"},
    "n_routes": {"zh": "共 {n} 条路线", "en": "{n} routes"},
    "stops_n": {"zh": "{n} 个站点", "en": "{n} stops"},
    "length_km": {"zh": "全程约 {km:.1f} 公里", "en": "about {km:.1f} km"},
    "coach_min": {"zh": "车程约 {text}（估算）", "en": "about {text} by coach (estimate)"},
    "route_open": {"zh": "查看路线", "en": "Open route"},
    "stops": {"zh": "站点", "en": "Stops"},
    "along_title": {"zh": "沿途 2 公里内的服务设施", "en": "Facilities within 2 km of the route"},
    "along_none": {
        "zh": "沿途 2 公里内没有爱心驿站、职工服务中心或爱心妈妈小屋。",
        "en": "No love station, service center or mothers' room within 2 km.",
    },
    "along_item": {
        "zh": "第 {km:.1f} 公里处，离路线 {off}",
        "en": "at km {km:.1f}, {off} off the route",
    },
    "longest_gap": {
        "zh": "最长一段没有爱心驿站或职工服务中心（2 公里内）的路程：约 {km:.1f} 公里"
        "（第 {a:.1f}–{b:.1f} 公里）。",
        "en": "Longest stretch with no love station or service center within 2 km: "
        "about {km:.1f} km (km {a:.1f}–{b:.1f}).",
    },
    "no_gap": {
        "zh": "全程都有爱心驿站或职工服务中心在 2 公里内。",
        "en": "A love station or service center is within 2 km all along the route.",
    },
    "downloads": {"zh": "下载路线", "en": "Download"},
    "download_hint": {
        "zh": "GPX 可导入导航或户外应用，KML 可在地图软件中打开。",
        "en": "GPX opens in navigation and outdoor apps, KML in map programs.",
    },
    "all_routes": {"zh": "全部路线", "en": "All routes"},
    "zh_name_only": {"zh": "仅有中文名", "en": "Chinese name only"},
    "precision_site": {"zh": "景点坐标", "en": "site coordinate"},
    "precision_town seat": {"zh": "镇驻地", "en": "town seat"},
    "precision_approximate": {"zh": "近似位置", "en": "approximate"},
    "precision_other": {"zh": "公开坐标", "en": "published coordinate"},
}

WEEKDAYS = {
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}


#: the cookie that remembers a visitor's language choice
LANG_COOKIE = "lang"


def current_lang() -> str:
    """``?lang=`` when given; else the choice remembered in the ``lang`` cookie; else the
    browser's ``Accept-Language`` (Chinese unless English is preferred)."""
    lang = (request.args.get("lang") or "").strip().lower()
    if lang in LANGS:
        return lang
    lang = (request.cookies.get(LANG_COOKIE) or "").lower()
    if lang in LANGS:
        return lang
    best = request.accept_languages.best_match(["zh", "zh-CN", "en"])
    return "en" if best and best.startswith("en") else "zh"


def city_fields(city: CityProfile, lang: str) -> dict[str, str]:
    """What the ``{city_...}`` placeholders stand for, in ``lang``."""
    return {
        "city_title": city.title.get(lang),
        "city_name": city.name.get(lang),
        "city_short": city.short_name.get(lang),
        "city_hotline": city.hotline_number,
        "city_hotline_label": city.hotline.label.get(lang) if city.hotline else "",
        "city_metric_crs": city.metric_name,
        "city_routes_intro": city.routes_intro.get(lang)
        if city.routes_intro
        else STRINGS["routes_intro_generic"][lang].replace("{city_name}", city.name.get(lang)),
        "city_attribution": city.attribution.get(lang),
    }


def _request_city() -> CityProfile:
    from locator.web.context import service  # the request's data version

    return service().city


def translate(key: str, lang: str | None = None, city: CityProfile | None = None, **fmt) -> str:
    """The text ``key`` in ``lang`` (the request's by default), its ``{city_...}``
    placeholders filled from ``city`` (the request's data by default), then formatted
    with ``fmt`` when given."""
    lang = lang or current_lang()
    text = STRINGS[key][lang]
    if "{city_" in text:
        if city is None:
            assert has_app_context(), f"{key!r} names the city: pass the city profile"
            city = _request_city()
        for name, value in city_fields(city, lang).items():
            if fmt:  # a value with braces stays literal through the format below
                value = value.replace("{", "{{").replace("}", "}}")
            text = text.replace(f"{{{name}}}", value)
    return text.format(**fmt) if fmt else text
