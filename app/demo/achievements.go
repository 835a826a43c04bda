package demo

import (
	"fmt"
	"strings"

	"github.com/hybridcon/hybridcon/app"
)

// Home regions of the demo's achievements.
const (
	regionChongqing = "Chongqing"
	regionSichuan   = "Sichuan"
	regionGansu     = "Gansu"
	regionGuizhou   = "Guizhou"
	regionHungary   = "Hungary"
)

// Fields of the demo's achievements.
const (
	fieldMaterials     = "new materials"
	fieldManufacturing = "intelligent manufacturing"
	fieldBiomedicine   = "biomedicine"
	fieldAgriculture   = "agriculture"
	fieldEnergy        = "energy"
	fieldICT           = "ICT"
	fieldEnvironment   = "environment"
)

// Markers appended to every summary so that nobody mistakes the catalogue
// for real projects.
const (
	sampleZH = "（示例数据）"
	sampleEN = " (Sample data.)"
	sampleHU = " (Mintaadat.)"
)

// showcaseItem is one achievement before it gets its ref, contact and
// sample markers.
type showcaseItem struct {
	region, field, institution, presenter, mode string
	title, summary                              app.Text
}

// achievements returns the 27 sample achievements in run-of-show order,
// with refs A01…A27 and contacts a01@example.org….
func achievements() []app.Achievement {
	items := showcase()
	out := make([]app.Achievement, len(items))
	for i, it := range items {
		ref := fmt.Sprintf("A%02d", i+1)
		out[i] = app.Achievement{
			Ref:   ref,
			Title: it.title,
			Summary: app.Text{
				ZH: it.summary.ZH + sampleZH,
				EN: it.summary.EN + sampleEN,
				HU: it.summary.HU + sampleHU,
			},
			Institution:   it.institution,
			Region:        it.region,
			Field:         it.field,
			Presenter:     it.presenter,
			PresenterMode: it.mode,
			Contact:       strings.ToLower(ref) + "@example.org",
			Sample:        true,
		}
	}
	return out
}

// showcase is the catalogue, invented for the demo. Chinese presenters
// mostly present on stage; the Hungarian ones and a few from far away join
// remotely.
func showcase() []showcaseItem {
	const onsite, remote = app.PresenterOnsite, app.PresenterRemote
	return []showcaseItem{
		{regionChongqing, fieldMaterials, "Chongqing Institute of Advanced Materials (sample)", "陈立新", onsite,
			app.Text{
				ZH: "汽车轻量化高强镁合金板材",
				EN: "High-strength magnesium alloy sheet for lightweight vehicles",
				HU: "Nagy szilárdságú magnéziumötvözet-lemez könnyű járművekhez",
			},
			app.Text{
				ZH: "一种轧制工艺，可生产强度满足车门和座椅骨架要求的镁合金板材，零件重量较钢制件减轻约三分之一。",
				EN: "A rolling process that yields magnesium alloy sheet strong enough for door and seat frames, cutting part weight by about a third compared with steel.",
				HU: "Hengerlési eljárás, amely ajtó- és ülésvázakhoz is elég erős magnéziumötvözet-lemezt ad, így az alkatrészek tömege mintegy harmadával kisebb, mint acélból.",
			}},
		{regionHungary, fieldBiomedicine, "Pannonia Biomedical Research Institute (sample)", "Kovács Anna", remote,
			app.Text{
				ZH: "脓毒症标志物床旁快速检测",
				EN: "Rapid point-of-care test for sepsis markers",
				HU: "Gyors betegágy melletti teszt szepszismarkerek kimutatására",
			},
			app.Text{
				ZH: "一种检测卡盒，15分钟内即可从一滴血中测定三种脓毒症标志物，适用于急诊科和基层医院。",
				EN: "A cartridge test that measures three sepsis markers from a drop of blood in 15 minutes, for emergency departments and small hospitals.",
				HU: "Kazettás teszt, amely egyetlen csepp vérből 15 perc alatt három szepszismarkert mér, sürgősségi osztályok és kisebb kórházak számára.",
			}},
		{regionSichuan, fieldAgriculture, "Sichuan Academy of Agricultural Innovation (sample)", "李晓梅", onsite,
			app.Text{
				ZH: "马铃薯脱毒种薯快繁技术",
				EN: "Rapid propagation of virus-free seed potatoes",
				HU: "Vírusmentes vetőburgonya gyors szaporítása",
			},
			app.Text{
				ZH: "采用组织培养与雾培相结合的方法，使脱毒种薯繁育速度提高十倍，提升山区农田产量。",
				EN: "Tissue culture combined with aeroponics multiplies virus-free seed potatoes ten times faster and raises yields on mountain farms.",
				HU: "Szövettenyésztést és aeroponikát ötvöző módszer, amely tízszer gyorsabban szaporítja a vírusmentes vetőburgonyát, és növeli a hegyvidéki gazdaságok termését.",
			}},
		{regionGuizhou, fieldICT, "Guizhou Big Data Application Research Center (sample)", "王俊", onsite,
			app.Text{
				ZH: "山区道路交通安全大数据平台",
				EN: "Big-data platform for mountain road safety",
				HU: "Big data platform a hegyvidéki utak közlekedésbiztonságához",
			},
			app.Text{
				ZH: "融合气象、交通监控与事故记录数据，实时向驾驶人和道路管理部门预警高风险路段。",
				EN: "Combines weather, traffic-camera and accident records to warn drivers and road operators of high-risk sections in real time.",
				HU: "Időjárási, forgalomfigyelő kamerás és baleseti adatokat egyesít, hogy valós időben figyelmeztesse a járművezetőket és az útkezelőket a veszélyes szakaszokra.",
			}},
		{regionChongqing, fieldManufacturing, "Chongqing Intelligent Manufacturing Research Institute (sample)", "刘洋", onsite,
			app.Text{
				ZH: "摩托车发动机零部件机器视觉检测系统",
				EN: "Machine-vision inspection of motorcycle engine parts",
				HU: "Motorkerékpármotor-alkatrészek gépi látáson alapuló ellenőrzése",
			},
			app.Text{
				ZH: "利用相机和训练好的模型，在生产线上每个零件不到一秒即可识别铸造和加工缺陷。",
				EN: "Cameras and a trained model find casting and machining defects on the production line in under a second per part.",
				HU: "Kamerák és betanított modell alkatrészenként egy másodpercen belül felismerik az öntési és megmunkálási hibákat a gyártósoron.",
			}},
		{regionGansu, fieldEnergy, "Gansu New Energy Technology Institute (sample)", "张海燕", remote,
			app.Text{
				ZH: "荒漠光伏电站防沙清扫机器人",
				EN: "Cleaning robot for desert solar power plants",
				HU: "Tisztítórobot sivatagi naperőművekhez",
			},
			app.Text{
				ZH: "一种无水清扫机器人，夜间清除光伏板上的沙尘，可挽回最多8%的发电损失。",
				EN: "A waterless robot that brushes sand and dust off solar panels at night, recovering up to 8% of lost output.",
				HU: "Víz nélkül működő robot, amely éjszaka lekeféli a homokot és a port a napelemekről, és akár 8%-nyi kiesett termelést is visszanyer.",
			}},
		{regionHungary, fieldAgriculture, "Upper Tisza Viticulture Research Station (sample)", "Szabó Gábor", remote,
			app.Text{
				ZH: "精准葡萄种植传感网络",
				EN: "Sensor network for precision viticulture",
				HU: "Érzékelőhálózat precíziós szőlőtermesztéshez",
			},
			app.Text{
				ZH: "低功耗土壤和叶面湿度传感器可预测霜霉病风险，减少葡萄园杀菌剂用量。",
				EN: "Low-power soil and leaf-wetness sensors forecast the risk of downy mildew and cut fungicide use in vineyards.",
				HU: "Alacsony fogyasztású talaj- és levélnedvesség-érzékelők, amelyek előre jelzik a peronoszpóra kockázatát, és csökkentik a szőlőültetvények gombaölőszer-felhasználását.",
			}},
		{regionChongqing, fieldBiomedicine, "Chongqing Biomedical Engineering Center (sample)", "黄志强", onsite,
			app.Text{
				ZH: "骨修复可注射水凝胶",
				EN: "Injectable hydrogel for bone repair",
				HU: "Injektálható hidrogél csontpótláshoz",
			},
			app.Text{
				ZH: "一种可生物降解的水凝胶，注入体内后原位固化，引导小型骨折和骨缺损处新骨生长。",
				EN: "A biodegradable hydrogel that sets inside the body and guides new bone growth in small fractures and defects.",
				HU: "Lebomló hidrogél, amely a szervezetben megszilárdul, és kisebb törésekben és csonthiányokban irányítja az új csontszövet növekedését.",
			}},
		{regionSichuan, fieldICT, "Chengdu Institute of Information Technology (sample)", "杨帆", onsite,
			app.Text{
				ZH: "面向政务服务的四川方言语音识别",
				EN: "Sichuan-dialect speech recognition for public services",
				HU: "Szecsuani nyelvjárású beszéd felismerése közszolgáltatásokhoz",
			},
			app.Text{
				ZH: "针对四川方言优化的语音识别技术，方便老年人用乡音使用电话和自助终端服务。",
				EN: "Speech recognition tuned to Sichuan dialects, so that older citizens can use telephone and kiosk services in their own speech.",
				HU: "Szecsuani nyelvjárásokra hangolt beszédfelismerés, hogy az idősebbek is a saját beszédükkel intézhessék ügyeiket telefonon és önkiszolgáló terminálokon.",
			}},
		{regionGuizhou, fieldBiomedicine, "Guizhou Institute of Medicinal Plants (sample)", "吴静", onsite,
			app.Text{
				ZH: "石斛规范化种植与有效成分提取",
				EN: "Standardised cultivation and extraction of Dendrobium",
				HU: "A Dendrobium orchidea szabványosított termesztése és hatóanyagainak kivonása",
			},
			app.Text{
				ZH: "采用遮荫棚栽培和低温提取工艺，使这种药用兰科植物的活性多糖在各批次间保持稳定。",
				EN: "Shade-house cultivation and low-temperature extraction keep the active polysaccharides of this medicinal orchid stable from batch to batch.",
				HU: "Árnyékolt termesztés és alacsony hőmérsékletű kivonás, amely tételről tételre állandó szinten tartja e gyógyhatású orchidea hatóanyag-poliszacharidjait.",
			}},
		{regionChongqing, fieldEnvironment, "Chongqing Ecological Environment Technology Institute (sample)", "周文博", onsite,
			app.Text{
				ZH: "农村生活污水一体化膜生物反应器",
				EN: "Compact membrane bioreactor for rural wastewater",
				HU: "Kompakt membrános bioreaktor vidéki szennyvíz tisztítására",
			},
			app.Text{
				ZH: "集装箱大小的一体化处理装置，可服务500人以内的村庄，远程监控、无人值守运行。",
				EN: "A container-sized treatment unit that serves a village of up to 500 people and runs unattended under remote monitoring.",
				HU: "Konténer méretű tisztítóegység, amely legfeljebb 500 lakosú falut szolgál ki, és távfelügyelettel, személyzet nélkül működik.",
			}},
		{regionHungary, fieldICT, "Danube Institute for Data Science (sample)", "Tóth Péter", remote,
			app.Text{
				ZH: "面向医院的隐私保护联邦学习",
				EN: "Privacy-preserving federated learning for hospitals",
				HU: "Adatvédelmet biztosító föderált tanulás kórházaknak",
			},
			app.Text{
				ZH: "各医院无需将病历移出本地服务器，即可共同训练诊断模型。",
				EN: "Hospitals train a shared diagnostic model without moving patient records off their own servers.",
				HU: "A kórházak úgy tanítanak közös diagnosztikai modellt, hogy a betegadatok nem hagyják el saját szervereiket.",
			}},
		{regionGansu, fieldAgriculture, "Gansu Dryland Agriculture Research Institute (sample)", "马建国", onsite,
			app.Text{
				ZH: "河西走廊膜下滴灌节水技术",
				EN: "Water-saving drip irrigation under mulch for arid farmland",
				HU: "Víztakarékos fólia alatti csepegtető öntözés száraz termőföldekre",
			},
			app.Text{
				ZH: "采用膜下滴灌和土壤墒情调控，使河西走廊玉米和蔬菜灌溉用水减少40%。",
				EN: "Drip lines under plastic mulch and soil-moisture control cut irrigation water for maize and vegetables in the Hexi Corridor by 40%.",
				HU: "Műanyag takarófólia alá fektetett csepegtetőcsövek és talajnedvesség-szabályozás, amelyekkel Kanszu száraz vidékein 40%-kal kevesebb öntözővíz kell a kukoricához és a zöldségekhez.",
			}},
		{regionChongqing, fieldICT, "Chongqing Industrial Internet Innovation Center (sample)", "谭思远", onsite,
			app.Text{
				ZH: "面向中小企业的工业互联网云边协同平台",
				EN: "Cloud-edge industrial internet platform for small factories",
				HU: "Felhő–perem ipari internetes platform kisüzemeknek",
			},
			app.Text{
				ZH: "通过低成本网关连接现有设备，为中小工厂提供能耗、产量和停机情况看板。",
				EN: "Connects existing machines through low-cost gateways and gives small factories dashboards for energy use, output and downtime.",
				HU: "Olcsó átjárókon keresztül köti be a meglévő gépeket, és energiafogyasztási, termelési és állásidő-kimutatásokat ad a kisüzemeknek.",
			}},
		{regionSichuan, fieldEnergy, "Sichuan Clean Energy Research Institute (sample)", "赵明", remote,
			app.Text{
				ZH: "重型卡车氢燃料电池电堆",
				EN: "Hydrogen fuel-cell stack for heavy trucks",
				HU: "Hidrogén-üzemanyagcella-köteg nehéz tehergépjárművekhez",
			},
			app.Text{
				ZH: "一款120千瓦电堆，采用自主研发的膜电极，已在山区货运线路上完成1万小时测试。",
				EN: "A 120 kW stack with in-house membrane electrode assemblies, tested for 10,000 hours on mountain freight routes.",
				HU: "120 kW-os cellaköteg saját fejlesztésű membrán-elektród egységekkel, amelyet hegyvidéki teherszállítási útvonalakon 10 000 órán át teszteltek.",
			}},
		{regionHungary, fieldMaterials, "Great Plain Materials Research Laboratory (sample)", "Horváth Zsófia", remote,
			app.Text{
				ZH: "农业废弃物生物基保温材料",
				EN: "Bio-based insulation boards from agricultural waste",
				HU: "Mezőgazdasági hulladékból készült bio alapú hőszigetelő lapok",
			},
			app.Text{
				ZH: "以葵花籽壳和秸秆为原料、矿物粘结剂成型的保温板，防火性能与矿棉相当。",
				EN: "Insulation boards made from sunflower husks and straw with a mineral binder, as fire-resistant as mineral wool.",
				HU: "Napraforgóhéjból és szalmából, ásványi kötőanyaggal készült szigetelőlapok, amelyek tűzállósága az ásványgyapotéhoz hasonló.",
			}},
		{regionGuizhou, fieldEnvironment, "Guizhou Phosphorus Resources Recycling Center (sample)", "罗春华", onsite,
			app.Text{
				ZH: "磷石膏资源化制备建筑材料",
				EN: "Turning phosphogypsum into building materials",
				HU: "Foszfogipsz hasznosítása építőanyagként",
			},
			app.Text{
				ZH: "通过净化和煅烧工艺，将磷肥厂产生的磷石膏制成石膏粉和砌块，减少固废堆存。",
				EN: "A purification and calcination route turns phosphogypsum from fertiliser plants into plaster and blocks, shrinking waste heaps.",
				HU: "Tisztítási és kalcinálási eljárás, amely a műtrágyagyárak foszfogipszéből vakolatot és építőblokkot állít elő, így csökkennek a hulladékhányók.",
			}},
		{regionChongqing, fieldManufacturing, "Chongqing Robotics Research Institute (sample)", "何佳", onsite,
			app.Text{
				ZH: "汽车总装协作机器人",
				EN: "Collaborative robot arm for car assembly lines",
				HU: "Kollaboratív robotkar autóösszeszerelő sorokhoz",
			},
			app.Text{
				ZH: "一种具备力觉感知的机械臂，可与装配工人并肩作业，安全地安装座椅、车轮等重型部件。",
				EN: "A force-sensing robot arm that works beside assembly workers and safely fits heavy parts such as seats and wheels.",
				HU: "Erőérzékelős robotkar, amely az összeszerelő dolgozók mellett biztonságosan szereli be a nehéz alkatrészeket, például az üléseket és a kerekeket.",
			}},
		{regionHungary, fieldEnergy, "Pannon Geothermal Energy Laboratory (sample)", "Varga László", remote,
			app.Text{
				ZH: "区域供热地热热泵智能控制",
				EN: "Smart control of geothermal heat pumps for district heating",
				HU: "Geotermikus hőszivattyúk intelligens vezérlése távfűtéshez",
			},
			app.Text{
				ZH: "根据天气预报匹配地热井出水与热泵负荷的预测控制，降低小城镇区域供热耗电量。",
				EN: "Predictive control matches well output and heat-pump load to the weather forecast, lowering the electricity used by small-town district heating.",
				HU: "Prediktív vezérlés, amely az időjárás-előrejelzéshez igazítja a kutak hozamát és a hőszivattyúk terhelését, így csökkenti a kisvárosi távfűtés áramfogyasztását.",
			}},
		{regionSichuan, fieldBiomedicine, "Tianfu Medical Devices Institute (sample)", "邓雪", onsite,
			app.Text{
				ZH: "基层医疗低成本掌上超声",
				EN: "Low-cost handheld ultrasound for primary care",
				HU: "Olcsó kézi ultrahangkészülék az alapellátás számára",
			},
			app.Text{
				ZH: "一种连接平板电脑使用的掌上超声探头，帮助乡村医生开展腹部和产科基础检查。",
				EN: "A handheld probe that connects to a tablet and helps village doctors with basic abdominal and obstetric scans.",
				HU: "Táblagéphez csatlakoztatható kézi vizsgálófej, amely segíti a falusi orvosokat az alapvető hasi és szülészeti ultrahangvizsgálatokban.",
			}},
		{regionGansu, fieldMaterials, "Gansu Nonferrous Metals Research Institute (sample)", "孙永红", remote,
			app.Text{
				ZH: "电池正极材料用高纯镍粉",
				EN: "High-purity nickel powder for battery cathodes",
				HU: "Nagy tisztaságú nikkelpor akkumulátor-katódokhoz",
			},
			app.Text{
				ZH: "一种湿法冶金工艺，可制备粒度均匀的高纯镍粉，用于锂离子电池正极材料。",
				EN: "A hydrometallurgical process that produces uniform, high-purity nickel powder for lithium-ion battery cathode materials.",
				HU: "Hidrometallurgiai eljárás, amely egyenletes szemcseméretű, nagy tisztaságú nikkelport állít elő lítiumion-akkumulátorok katódanyagához.",
			}},
		{regionChongqing, fieldAgriculture, "Chongqing Academy of Smart Agriculture (sample)", "冉光明", onsite,
			app.Text{
				ZH: "柑橘园无人机病害早期监测",
				EN: "Drone-based early disease detection in citrus orchards",
				HU: "Drónos korai betegségfelismerés citrusültetvényekben",
			},
			app.Text{
				ZH: "利用无人机多光谱影像标记出现黄龙病早期症状的果树，帮助果农在病害扩散前及时处置。",
				EN: "Multispectral drone images flag trees with early signs of citrus greening so growers can act before it spreads.",
				HU: "A multispektrális drónfelvételek kijelölik a citruszöldülés korai jeleit mutató fákat, így a termelők a betegség terjedése előtt beavatkozhatnak.",
			}},
		{regionHungary, fieldManufacturing, "Győr Automotive Engineering Laboratory (sample)", "Kiss Dániel", remote,
			app.Text{
				ZH: "机床预测性维护数字孪生",
				EN: "Digital twin for predictive maintenance of machine tools",
				HU: "Digitális iker szerszámgépek prediktív karbantartásához",
			},
			app.Text{
				ZH: "基于振动和主轴数据的数字孪生，可提前数周预测轴承磨损，并在换班间隙安排维护。",
				EN: "A digital twin fed with vibration and spindle data predicts bearing wear weeks ahead and schedules maintenance between shifts.",
				HU: "Rezgés- és orsóadatokkal táplált digitális iker, amely hetekkel előre jelzi a csapágykopást, és a műszakok közé ütemezi a karbantartást.",
			}},
		{regionGuizhou, fieldAgriculture, "Guizhou Tea Science Research Institute (sample)", "杨秀英", remote,
			app.Text{
				ZH: "近红外光谱绿茶品质快速分级",
				EN: "Rapid green-tea grading by near-infrared spectroscopy",
				HU: "Zöld tea gyors minősítése közeli infravörös spektroszkópiával",
			},
			app.Text{
				ZH: "便携式近红外分析仪数秒内即可完成鲜叶和成品绿茶分级，替代常规批次耗时的人工审评。",
				EN: "A portable near-infrared analyser grades fresh leaves and finished green tea in seconds, replacing slow manual tasting for routine lots.",
				HU: "Hordozható közeli infravörös elemző, amely másodpercek alatt minősíti a friss tealevelet és a kész zöld teát, kiváltva a rutintételek lassú érzékszervi bírálatát.",
			}},
		{regionChongqing, fieldEnergy, "Chongqing New Energy Storage Laboratory (sample)", "唐晓峰", onsite,
			app.Text{
				ZH: "储能用钠离子电池",
				EN: "Sodium-ion batteries for grid energy storage",
				HU: "Nátriumion-akkumulátorok hálózati energiatároláshoz",
			},
			app.Text{
				ZH: "采用储量丰富的钠和铁锰基材料制成的电芯，零下20摄氏度仍可正常工作，适用于风电、光伏场站配套储能。",
				EN: "Cells made from abundant sodium and iron-manganese materials that keep working at minus 20 °C, for storage beside wind and solar farms.",
				HU: "Bőségesen rendelkezésre álló nátriumból és vas-mangán alapú anyagokból készült cellák, amelyek mínusz 20 °C-on is működnek, szél- és naperőművek melletti energiatárolásra.",
			}},
		{regionHungary, fieldEnvironment, "Transdanubian Lake Research Laboratory (sample)", "Molnár Krisztina", remote,
			app.Text{
				ZH: "湖泊藻类实时监测浮标",
				EN: "Real-time algae monitoring buoys for lakes",
				HU: "Algavirágzást valós időben figyelő bóják tavakra",
			},
			app.Text{
				ZH: "太阳能供电浮标实时测量叶绿素和水温，可提前数天预警藻类暴发，已在大型浅水湖泊上试用。",
				EN: "Solar-powered buoys measure chlorophyll and water temperature and warn of algal blooms days ahead; they were trialled on a large shallow lake.",
				HU: "Napelemes bóják mérik a klorofillt és a vízhőmérsékletet, és napokkal előre jelzik az algavirágzást; egy nagy, sekély tavon próbálták ki őket.",
			}},
		{regionChongqing, fieldICT, "Chongqing Rail Transit Technology Institute (sample)", "蒋丽", onsite,
			app.Text{
				ZH: "跨座式单轨轨道梁智能巡检系统",
				EN: "Automated inspection of monorail track beams",
				HU: "Egysínű vasúti pályagerendák automatikus ellenőrzése",
			},
			app.Text{
				ZH: "夜间巡检车搭载激光扫描仪和相机，可发现单轨轨道梁上的裂缝和松动部件，并记录供维修人员处置。",
				EN: "A night-time inspection vehicle with laser scanners and cameras finds cracks and loose fittings on monorail track beams and logs them for repair crews.",
				HU: "Lézerszkennerekkel és kamerákkal felszerelt éjszakai ellenőrző jármű, amely felderíti az egysínű vasút pályagerendáin a repedéseket és a meglazult rögzítéseket, és nyilvántartja őket a javítócsapatok számára.",
			}},
	}
}
