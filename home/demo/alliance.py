"""The flagship event, from the organizer's own description (shared/seed/alliance-workshop.md)."""

TITLE = "The Therapeutic Alliance: Reclaiming a Time-Tested, Evidence-Based Intervention"
SUMMARY = (
    "A continuing-education workshop for clinicians and administrators on the therapeutic alliance: "
    "what 70 years of research say about it, who leads it, and how clinician wellbeing shapes client outcomes."
)
QUESTIONS = [
    "So what is the therapeutic alliance and what conditions are necessary for it to develop?",
    "What does over 70 years of research suggest about the efficacy of the alliance in mental health treatment?",
    "How do client outcomes of CBT and other manualized interventions (CBT, DBT, EMDR, etc.) compare to those of non-directive psychotherapy that focus on developing an alliance?",
    "The alliance is developed by both client and clinician. But, according to the latest research, who plays the lead role?",
    "How does the clinician's actions, behaviors, psychological health and overall wellbeing link to treatment outcomes for clients?",
    "How does clinician self-care relate to the alliance and therefore to treatment outcomes?",
    "Given the professional milieu, one's title and the reality of the work site, how can a clinician or administrator reclaim this time-tested, evidence based intervention?",
]
DESCRIPTION = [
    'CBT, DBT, MBCT and EMDR. Although not an exclusive list, they are some of the preferred, manualized or directive treatment methods used today. Insurance companies, government organizations and private funders increasingly expect clinicians to use them when providing therapy. Viewed as "evidence based" they often overshadow another proven effective, researched based intervention that is non-directive and client-centered; the therapeutic alliance. Current thinking suggests manualized interventions like DBT result in better treatment outcomes. For various reasons, they are also perceived to increase efficiency of service delivery.',
    "The logic: teach clinicians what to DO and when to DO it in order to improve treatment outcomes. Improved treatment outcomes translate into increased efficiency.",
    "But, does this logic make sense? Are treatment outcomes better when manualized interventions are used to treat clients? Are mental health services improving overall? Is the system becoming more efficient and cost effective?",
    'A growing number are questioning the logic. While some manualized interventions are indeed supported by data as effective, clinicians and administrators need to know there are other factors with greater effect sizes that contribute to psychotherapy outcomes, like the therapeutic alliance (Norcross and Lambert, 2010). Having stood the test of time for nearly 70 years, research reveals, "The alliance....is (still) one of the strongest validated factors influencing therapy success" (Wampold, 2001). Maslow, Rogers, Jung, Peck, and other highly revered humanistic clinicians knew this. They would not be surprised by research indicating 96% of people who have experienced improvement from therapy say it\'s the relationship that made it effective (Norcross, 2014).',
    "It's also imperative for administrators and clinicians to know about the Equivalent Outcomes Paradox. It's one of the most consistent findings of psychotherapy research, revealing that different models of psychotherapy (CBT, DBT, Client-Centered, etc.) with varying theoretical orientations achieve broadly similar outcomes. As the debate continues about manualized versus non-manualized interventions, the mechanization of mental health care gains momentum. Clinicians know the impact first-hand, often feeling disempowered by ever-changing billing practices and increasing system requirements to document more and talk less. Passion to do this work is thwarted. Resentments creep in and result in negative thoughts and feelings about \"the system\", insurance companies, employers and even about colleagues. Negative thinking seldom stops after leaving the office. Experiencing chronic stress leads to job dissatisfaction, burn out and some leave the profession altogether.",
    "Managing the pressure to increase efficiency without compromising the quality of care is a business priority and an ethical necessity for clinicians and administrators alike. Given the current ethos of the profession, how can the therapeutic alliance be remembered, let alone reclaimed?",
    "Paying attention to the impact of this new priority on client outcomes is critically important. Equally important, however, is recognizing its impact on service providers like clinicians. Recent research suggests clinicians' overall wellbeing is actually more important than the client's toward influencing the therapeutic alliance (Del Re, Fluckiger, Horvath, Symonds, & Wampold, 2012). The relationship between alliance and treatment outcomes is well established in literature.",
    "Rediscovering the reasons for becoming a mental health professional is essential to job satisfaction and overall wellbeing. Learning how to take care of one's body, mind and soul not only helps manage ongoing pressures and improve job satisfaction, it also appears to be clinically relevant to treatment outcomes for clients (Del Re et al., 2012).",
]
OBJECTIVES = [
    "Explore and understand the therapeutic alliance",
    "Review research findings about the relationship between therapeutic alliance and treatment outcomes for clients",
    "Learn 3 essential ingredients to cultivate a therapeutic alliance with clients",
    "Learn specific therapist attributes and techniques to help develop a therapeutic alliance with clients",
    "Explore tools used to assess the therapeutic alliance with clients",
    'Identify challenges to "Care" for and "Be" with clients',
    "Learn about the correlation between clinician's wellbeing, the alliance and treatment outcomes for clients",
    "Recognize the importance of clinicians' self-care",
    "Find ways to honor the alliance, regardless of role or work setting",
]
