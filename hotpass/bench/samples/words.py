"""Word lists behind the sample generator: names, places, sectors, people, airfields.

Contract: plain constants plus ``dissimilar``, which thins a list so that no two kept words
are within a rapidfuzz ratio of each other; the generator builds organisation names from
one word per slot, so distinct organisations never look like a typo of each other.

Pitfalls: appending to a list changes every generated file for a given seed; append at
the end and expect the sample data and test expectations to be regenerated.
"""

from __future__ import annotations

from functools import cache


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


# South African surnames, places and distinctive words, thinned at use by ``dissimilar``.
SURNAMES = _words("""Naidoo, Pillay, Dlamini, Khumalo, Nkosi, Mokoena, Ndlovu, Zulu, Mahlangu,
Mthembu, Botha, Pretorius, Steyn, Venter, Coetzee, Jacobs, Smit, Fourie, Meyer, Nel, Kruger,
Swanepoel, Mabaso, Sithole, Ngcobo, Cele, Radebe, Mkhize, Zwane, Shabalala, Moloi, Molefe,
Baloyi, Maluleke, Chauke, Mathebula, Nemavhola, Mashaba, Modise, Sebola, Letsoalo, Mogale,
Masilela, Buthelezi, Gumede, Hlongwane, Majola, Ntuli, Xaba, Govender, Moodley, Reddy, Chetty,
Singh, Maharaj, Padayachee, Abrahams, Adams, Hendricks, Isaacs, Petersen, Williams, Daniels,
Februarie, Jansen, Oosthuizen, Du Plessis, Van Wyk, Van Zyl, Le Roux, De Villiers, Joubert,
Marais, Erasmus, Olivier, Kotze, Visser, Vermeulen, Lombard, Bezuidenhout, Cloete, Engelbrecht,
Grobler, Potgieter, Rossouw, Schoeman, Strydom, Terblanche, Wessels, Ferreira, Fernandes,
Da Silva, Cohen, Levine, Patel, Moosa, Essop, Cassim, Ebrahim, Bhana, Desai, Makhanya, Mabuza,
Masondo, Mnguni, Nxumalo, Phiri, Mwale, Kubheka, Ledwaba, Maake, Mojapelo, Phasha, Rakgoale,
Sekgobela, Tau, Motaung, Mofokeng, Nhlapo, Sibiya, Vilakazi, Zondo, Mazibuko, Mavuso, Mdluli,
Nkambule, Shongwe, Thwala, Magagula, Mnisi, Mokgatle, Seabi, Makgoba, Ramokgopa, Selepe, Tlou,
Mashego, Bhengu, Dube, Hadebe, Khoza, Luthuli, Madonsela, Mchunu, Mhlongo, Ngema, Nzama, Shezi,
Zungu, Booysen, Carelse, Davids, Fredericks, Gertse, Hartzenberg, Jooste, Kleinhans, Lategan,
Muller, Niemand, Opperman, Pienaar, Roos, Scholtz, Theron, Uys, Viljoen, Wolmarans, Basson,
Burger, Conradie, Dreyer, Esterhuizen, Fick, Greeff, Human, Krige, Louw, Malan, Naude, Odendaal,
Prinsloo, Rabie, Snyman, Truter, Van Rooyen, Wiese, Zietsman""")
PLACES = _words("""Durban, Umhlanga, Ballito, Pietermaritzburg, Richards Bay, Newcastle, Soweto,
Sandton, Midrand, Centurion, Boksburg, Benoni, Germiston, Randburg, Roodepoort, Krugersdorp,
Vereeniging, Polokwane, Tzaneen, Thohoyandou, Mbombela, Emalahleni, Secunda, Middelburg,
Rustenburg, Mahikeng, Potchefstroom, Klerksdorp, Kimberley, Upington, Bloemfontein, Welkom,
Bethlehem, Kroonstad, Gqeberha, East London, Mthatha, Makhanda, Jeffreys Bay, Knysna, George,
Mossel Bay, Oudtshoorn, Stellenbosch, Paarl, Worcester, Hermanus, Saldanha, Langebaan, Bellville,
Constantia, Muizenberg, Khayelitsha, Mitchells Plain, Tembisa, Alexandra, Kempton Park,
Edenvale, Bedfordview, Fourways, Rosebank, Parktown, Westville, Pinetown, Amanzimtoti, Umlazi,
Chatsworth, Phoenix, Verulam, Tongaat, KwaDukuza, Margate, Port Shepstone, Kokstad, Harrismith,
Ladysmith, Dundee, Vryheid, Ermelo, Standerton, Barberton, Hazyview, Sabie, Graskop, Lydenburg,
Phalaborwa, Hoedspruit, Mokopane, Modimolle, Bela-Bela, Brits, Hartbeespoort, Magaliesburg,
Cullinan, Bronkhorstspruit, Heidelberg, Nigel, Springs, Brakpan, Sasolburg, Parys, Clarens,
Ficksburg, Graaff-Reinet, Cradock, Komani, Aliwal North, Colesberg, De Aar, Beaufort West,
Prince Albert, Robertson, Montagu, Swellendam, Caledon, Gansbaai, Plettenberg Bay, Wilderness,
Sedgefield, Clanwilliam, Citrusdal, Piketberg, Malmesbury, Darling, Springbok, Vredenburg""")
DISTINCTIVE = _words("""Falcon, Baobab, Protea, Summit, Horizon, Meridian, Kestrel, Acacia, Marula,
Impala, Kudu, Zenith, Quantum, Granite, Sable, Cobalt, Indigo, Jacaranda, Fynbos, Tugela, Umoya,
Ubuntu, Masakhane, Ikhaya, Letsatsi, Thaba, Amandla, Ilanga, Inkwazi, Isibane, Khanya, Naledi,
Kgotso, Thuso, Anchor, Beacon, Cedar, Fortress, Glacier, Harbour, Ivory, Juniper, Keystone,
Lantern, Magnolia, Northstar, Orchid, Pinnacle, Quartz, Redwood, Sapphire, Tempest, Vantage,
Willow, Yellowwood, Zephyr, Aloe, Bushveld, Cheetah, Eland, Flamingo, Gemsbok, Hadeda, Ibis,
Jackal, Klipspringer, Leopard, Mongoose, Nyala, Oryx, Pangolin, Quagga, Rhino, Thornbush,
Vervet, Waterbuck, Yellowfin, Zebra, Crimson, Diamond, Emerald, Garnet, Helix, Ironwood, Jasper,
Kinetic, Lumen, Mosaic, Nimbus, Onyx, Prism, Radiant, Silverleaf, Titan, Velocity, Apex,
Bridgepoint, Compass, Dynamo, Evergreen, Frontier, Highveld, Infinity, Kingfisher, Legacy,
Momentum, Nexus, Oasis, Pioneer, Rainbow, Sunbird, Trident, Uplift, Vista, Wildfire, Amber,
Blackwood, Bluegum, Coral, Driftwood, Eagle, Firefly, Goldcrest, Hornbill, Ironclad, Kalahari,
Lionsgate, Milkwood, Nightjar, Olive, Peregrine, Riverstone, Stonehaven, Tamboti, Valiant,
Wagtail, Aurora, Bastion, Catalyst, Dolphin, Equinox, Fountain, Gateway, Heron, Insignia,
Javelin, Kingsway, Lighthouse, Monarch, Nova, Obsidian, Paragon, Quill, Ridgeback, Sentinel,
Thunderbolt, Vanguard, Whitestone, Acorn, Buffalo, Condor, Dune, Elephant, Fig Tree, Giraffe,
Hippo, Ingwe, Lynx, Meerkat, Nandi, Osprey, Puma, Raven, Swift, Warthog, Karoo, Umdoni""")
SECTORS = {
    "generic": _words("""Logistics, Engineering, Holdings, Consulting, Construction, Plumbing,
Electrical, Catering, Security, Attorneys, Accountants, Pharmacy, Motors, Furniture, Printing,
Travel, Properties, Solar, Mining Supplies, Agri, Fisheries, Textiles, Bakery, Butchery,
Cleaning Services, Landscaping, Architects, Dental, Medical Centre, Veterinary Clinic,
Funeral Services, Hardware, Steel, Plastics, Packaging, Media, Software, Telecoms,
Insurance Brokers, Recruitment, Tutoring, Guest House, Lodge, Coffee, Brewing, Wines,
Panelbeaters, Tyres, Glass, Roofing, Paints, Interiors, Events, Fitness, Optometrists,
Auto Repairs, Car Hire, Couriers, Freight, Shipping, Warehousing, Scaffolding, Welding, Fencing,
Paving, Tiling, Flooring, Joinery, Kitchens, Blinds, Upholstery, Laundry, Hair Salon, Beauty Spa,
Florists, Nursery, Pet Shop, Kennels, Stables, Dairy, Poultry, Citrus, Macadamias, Sugar Cane,
Timber, Sawmill, Quarries, Concrete, Bricks, Drilling, Boreholes, Irrigation, Water Solutions,
Pest Control, Waste Management, Recycling, Hygiene, Uniforms, Embroidery, Signage, Photography,
Studios, Audio Visual, Marquees, Jewellers, Pawnbrokers, Bookshop, Stationers, Toys, Cycles,
Outdoor, Camping, Boats, Marine, Diving, Surf School, Driving School, Academy, Preschool,
College, Tours, Safaris, Shuttles, Taxis, Home Care, Physiotherapy, Chiropractors,
Psychologists, Radiology, Pathology, Audiology, Dietitians, Debt Collectors, Auditors,
Tax Practitioners, Actuaries, Surveyors, Valuers, Estate Agents, Conveyancers, Translators,
IT Support, Networks, Cloud Services, Data Analytics, Cyber Security, Web Design, Marketing,
Advertising, Publishing, Radio, Films"""),
    "aviation": _words("""Flight School, Aviation, Air Charter, Aero Club, Helicopters,
Flight Academy, Air Services, Aero Maintenance, Skyworks, Aerial Survey, Air Safaris,
Drone Services, Airways, Jet Charter, Aerospace, Avionics, Pilot Training, Gliding Club,
Crop Sprayers, Airlink Services, Microlights, Balloon Safaris, Air Ambulance,
Aero Engineering, Sky Adventures, Aerobatics, Air Tours, Air Cargo, Flying Club, Paragliding,
Parachute Club, Skydiving, Aircraft Sales, Aircraft Leasing, Propellers, Hangarage,
Ground Handling, Fuel Services, Seaplanes, Gyrocopters, Warbirds, Vintage Aircraft,
Air Photography, Medevac, Executive Jets, Aero Parts, Flight Simulation, Cabin Crew Academy,
Aviation Security, Bush Pilots, Game Flights, Fire Fighting, Airstrip Services"""),
}
FIRST_NAMES = _words("""Thandi, Sipho, Lerato, Bongani, Nomsa, Themba, Zanele, Mandla, Ayanda,
Lindiwe, Pieter, Johan, Annelie, Marius, Elmarie, Hendrik, Priya, Kavitha, Rajesh, Anand, Fatima,
Yusuf, Ashraf, Zainab, Michelle, David, Sarah, Michael, Nicole, Jason, Refilwe, Karabo, Tshepo,
Palesa, Kagiso, Dineo, Mpho, Neo, Tumi, Busisiwe, Nokuthula, Sibusiso, Lungile, Xolani, Andile,
Jacques, Riaan, Chantelle, Bianca, Gareth, Kyle, Candice, Leon, Wilma, Ruan""")
STREETS = _words("""Main Road, Church Street, Voortrekker Road, Jan Smuts Avenue, Oxford Road,
Long Street, Anton Lembede Street, Florida Road, Beach Road, Rivonia Road, William Nicol Drive,
Commissioner Street, Nelson Mandela Drive, Loop Street, Kerk Street, Industrial Road""")
AIRFIELDS = _words("""Lanseria International (FALA), Wonderboom (FAWB), Rand Airport (FAGM),
Grand Central (FAGC), Virginia (FAVG), Stellenbosch Airfield, Cape Town International (FACT),
Kitty Hawk (FAKT), Baragwanath (FASY), Brakpan (FABB), Krugersdorp (FAKR), Potchefstroom (FAPS),
Rustenburg (FARG), Polokwane (FAPP), Nelspruit (FANS), Hoedspruit (FAHS), Margate (FAMG),
Pietermaritzburg (FAPM), Richards Bay (FARB), Port Alfred (FAPA), Oudtshoorn (FAOH),
George (FAGG), Plettenberg Bay (FAPG), Upington (FAUP), Kimberley (FAKM), Bloemfontein (FABL),
Tempe (FATP), Morningstar (FAMS), Heidelberg (FAHG), Springs (FASI)""")
ROLES = {
    "generic": _words("""Director, Owner, Procurement Manager, Office Manager, CFO,
Operations Manager, Sales Lead, Bookkeeper, Managing Member"""),
    "aviation": _words("""Accountable Manager, Chief Flying Instructor, Head of Training,
Operations Manager, Quality Manager, Chief Pilot, Maintenance Controller"""),
}
INSTRUCTIONS = (
    "Instructions: this workbook is the consolidated register kept by procurement. Do not "
    "insert columns on the register sheet; add new organisations at the bottom. Phone numbers "
    "and e-mail addresses were captured by different branches, so expect duplicates."
)
ROW_NOTES = ["Prefers e-mail", "Invoice via supplier portal", "Call before visiting",
             "Former name used on old invoices", "BEE certificate on file", "Moved offices in 2023"]


def dissimilar(words: list[str], limit: float = 65.0) -> list[str]:
    """Keep words in order, dropping any within rapidfuzz ratio ``limit`` of a kept one."""
    from rapidfuzz.fuzz import ratio

    kept: list[str] = []
    for word in words:
        if all(ratio(word.lower(), other.lower()) < limit for other in kept):
            kept.append(word)
    return kept


@cache
def _thinned(name: str) -> tuple[str, ...]:
    source = {"surnames": SURNAMES, "places": PLACES, "distinctive": DISTINCTIVE,
              "generic": SECTORS["generic"], "aviation": SECTORS["aviation"]}[name]
    return tuple(dissimilar(source))


def surnames() -> list[str]:
    return list(_thinned("surnames"))


def places() -> list[str]:
    return list(_thinned("places"))


def distinctive_words() -> list[str]:
    return list(_thinned("distinctive"))


def sectors(profile: str) -> list[str]:
    return list(_thinned("aviation" if profile == "aviation" else "generic"))
