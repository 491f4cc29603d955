"""Gazetteer for the release gate: US census first names and common English words (generated data).

FIRST_NAMES: the first names of the 1990 US Census name lists (``dist.female.first`` and ``dist.male.first``,
5,494 names; US Census Bureau data, a work of the US government in the public domain) as shipped by the
``names`` 0.3.0 package on PyPI (MIT licence, Trey Hunner), title-cased, without names of under three letters
and without those that are common lower-case English words in arena text ("Will", "May", "Mark", "Grant", "Hope":
lower case two or more times in the 2023 arena prompts and the arena-hard-v0.1 answers), 5,024 names.

COMMON_WORDS: 7,200 lower-case words seen five or more times in that same text (the 2023 arena prompts
and arena-hard-v0.1 answers), minus the first names: a capitalised word whose lower case is here is not taken
for a surname ("Mary Poppins" is a name, "Grace Period" is not).

Regenerate with the recipe in this docstring; the lists are data, the code is in :mod:`arenavotes.pii.loose`.

>>> "Marta" in FIRST_NAMES and "Will" not in FIRST_NAMES and "the" in COMMON_WORDS
True
"""

from __future__ import annotations

FIRST_NAMES = frozenset(str.split("""
Aaron Abbey Abbie Abby Abdul Abe Abel Abigail Abraham Abram Ada Adah Adalberto Adaline Adam Adan Addie Adela
Adelaida Adelaide Adele Adelia Adelina Adeline Adell Adella Adelle Adena Adina Adolfo Adolph Adria Adrian Adriana
Adriane Adrianna Adrianne Adrien Adriene Adrienne Afton Agatha Agnes Agnus Agripina Agueda Agustin Agustina Ahmad
Ahmed Aida Aide Aiko Aileen Ailene Aimee Aisha Aja Akiko Akilah Alaina Alaine Alan Alana Alane Alanna Alayna Alba
Albert Alberta Albertha Albertina Albertine Alberto Albina Alda Alden Aldo Alease Alec Alecia Aleen Aleida Aleisha
Alejandra Alejandrina Alejandro Alena Alene Alesha Aleshia Alesia Alessandra Aleta Aletha Alethea Alethia Alex Alexa
Alexander Alexandra Alexandria Alexia Alexis Alfonso Alfonzo Alfred Alfreda Alfredia Alfredo Ali Alia Alica Alice
Alicia Alida Alina Aline Alisa Alise Alisha Alishia Alisia Alison Alissa Alita Alix Aliza Alla Allan Alleen Allegra
Allen Allena Allene Allie Alline Allison Allyn Allyson Alma Almeda Almeta Alona Alonso Alonzo Alphonse Alphonso Alta
Altagracia Altha Althea Alton Alva Alvaro Alvera Alverta Alvin Alvina Alyce Alycia Alysa Alyse Alysha Alysia Alyson
Alyssa Amada Amado Amal Amalia Amanda Amber Amberly Ambrose Amee Amelia America Amie Amiee Amina Amira Ammie Amos
Amparo Amy Ana Anabel Analisa Anamaria Anastacia Anastasia Andera Anderson Andra Andre Andrea Andreas Andree Andres
Andrew Andria Andy Anette Angela Angele Angelena Angeles Angelia Angelic Angelica Angelika Angelina Angeline
Angelique Angelita Angella Angelo Angelyn Angie Angila Angla Anglea Anh Anibal Anika Anisa Anisha Anissa Anita
Anitra Anja Anjanette Anjelica Ann Anna Annabel Annabell Annabelle Annalee Annalisa Annamae Annamaria Annamarie Anne
Anneliese Annelle Annemarie Annett Annetta Annette Annice Annie Annika Annis Annita Annmarie Anthony Antione
Antionette Antoine Antoinette Anton Antone Antonetta Antonette Antonia Antonietta Antonina Antonio Antony Antwan
Anya Apolonia Apryl Ara Araceli Aracelis Aracely Arcelia Archie Ardath Ardelia Ardell Ardella Ardelle Arden Ardis
Ardith Aretha Argelia Argentina Ariana Ariane Arianna Arianne Arica Arie Ariel Arielle Arla Arlean Arleen Arlen
Arlena Arlene Arletha Arletta Arlette Arlie Arlinda Arline Arlyne Armand Armanda Armandina Armando Armida Arminda
Arnetta Arnette Arnita Arnold Arnoldo Arnulfo Aron Arron Arthur Artie Arturo Arvilla Asa Asha Ashanti Ashely Ashlea
Ashlee Ashleigh Ashley Ashli Ashlie Ashly Ashlyn Ashton Asia Asley Assunta Astrid Asuncion Athena Aubrey Audie Audra
Audrea Audrey Audria Audrie Audry Augusta Augustina Augustine Augustus Aundrea Aura Aurea Aurelia Aurelio Aurora
Aurore Austin Autumn Ava Avelina Avery Avis Avril Awilda Ayako Ayana Ayanna Ayesha Azalee Azucena Azzie Babara
Babette Bailey Bambi Bao Barabara Barb Barbar Barbara Barbera Barbie Barbra Bari Barney Barrett Barrie Barry Bart
Barton Basil Basilia Bea Beata Beatrice Beatris Beatriz Beau Beaulah Bebe Becki Beckie Becky Bee Belen Belia Belinda
Belkis Bella Belle Belva Ben Benedict Benita Benito Benjamin Bennett Bennie Benny Benton Berenice Berna Bernadette
Bernadine Bernard Bernarda Bernardina Bernardine Bernardo Berneice Bernetta Bernice Bernie Berniece Bernita Berry
Bert Berta Bertha Bertie Bertram Beryl Bess Bessie Beth Bethanie Bethann Bethany Bethel Betsey Betsy Bette Bettie
Bettina Betty Bettyann Bettye Beula Beulah Bev Beverlee Beverley Beverly Bianca Bibi Billi Billie Billy Billye
Birdie Birgit Blaine Blair Blake Blanca Blanch Blanche Blondell Blossom Blythe Bob Bobbi Bobbie Bobby Bobbye Bobette
Bok Bong Bonita Bonnie Bonny Booker Boris Boyce Boyd Brad Bradford Bradley Bradly Brady Branda Brande Brandee
Branden Brandi Brandie Brandon Brandy Brant Breana Breann Breanna Breanne Bree Brenda Brendan Brendon Brenna Brent
Brenton Bret Brett Brian Briana Brianna Brianne Brice Bridget Bridgett Bridgette Brigette Brigid Brigida Brigitte
Brinda Britany Britney Britni Britt Britta Brittaney Brittani Brittanie Brittany Britteny Brittney Brittni Brittny
Brock Broderick Bronwyn Brook Brooke Brooks Bruce Bruna Brunilda Bruno Bryan Bryanna Bryant Bryce Brynn Bryon Buck
Bud Buddy Buena Buffy Buford Bula Bulah Bunny Burl Burma Burt Burton Buster Byron Caitlin Caitlyn Calandra Caleb
Calista Callie Calvin Camelia Camellia Cameron Cami Camie Camila Camilla Camille Cammie Cammy Candace Candance
Candelaria Candi Candice Candida Candie Candis Candra Candy Candyce Caprice Cara Caren Carey Cari Caridad Carie
Carin Carina Carisa Carissa Carita Carl Carla Carlee Carleen Carlena Carlene Carletta Carley Carli Carlie Carline
Carlita Carlo Carlos Carlota Carlotta Carlton Carly Carlyn Carma Carman Carmel Carmela Carmelia Carmelina Carmelita
Carmella Carmelo Carmen Carmina Carmine Carmon Carol Carola Carolann Carole Carolee Carolin Carolina Caroline Caroll
Carolyn Carolyne Carolynn Caron Caroyln Carri Carrie Carrol Carroll Carson Carter Cary Caryl Carylon Caryn Casandra
Casey Casie Casimira Cassandra Cassaundra Cassey Cassi Cassidy Cassie Cassondra Cassy Catalina Catarina Caterina
Catharine Catherin Catherina Catherine Cathern Catheryn Cathey Cathi Cathie Cathleen Cathrine Cathryn Cathy Catina
Catrice Catrina Cayla Cecelia Cecil Cecila Cecile Cecilia Cecille Cecily Cedric Cedrick Celena Celesta Celeste
Celestina Celestine Celia Celina Celinda Celine Celsa Ceola Cesar Chad Chadwick Chae Chan Chana Chanda Chandra
Chanel Chanell Chanelle Chang Chantal Chantay Chante Chantel Chantell Chantelle Chara Charis Charise Charissa
Charisse Charita Charla Charleen Charlena Charlene Charles Charlesetta Charlette Charley Charlie Charline Charlott
Charlotte Charlsie Charlyn Charmain Charmaine Charolette Chas Chase Chasidy Chasity Chassidy Chastity Chau Chauncey
Chaya Chelsea Chelsey Chelsie Cher Chere Cheree Cherelle Cheri Cherie Cherilyn Cherise Cherish Cherly Cherlyn Cherri
Cherrie Cherryl Chery Cheryl Cheryle Cheryll Chester Chet Cheyenne Chi Chia Chieko Chin China Chiquita Chloe Chong
Chris Chrissy Christa Christal Christeen Christel Christen Christena Christene Christi Christia Christian Christiana
Christiane Christie Christin Christina Christine Christinia Christoper Christopher Christy Chrystal Chu Chuck Chun
Chung Ciara Cicely Ciera Cierra Cinda Cinderella Cindi Cindie Cindy Cinthia Cira Clair Claire Clara Clare Clarence
Claretha Claretta Claribel Clarice Clarinda Clarine Claris Clarisa Clarissa Clarita Clark Classie Claud Claude
Claudette Claudia Claudie Claudine Claudio Clay Clayton Clelia Clemencia Clement Clemente Clementina Clementine
Clemmie Cleo Cleopatra Cleora Cleotilde Cleta Cletus Cleveland Cliff Clifford Clifton Clint Clinton Clora Clorinda
Clotilde Clyde Codi Cody Colby Cole Coleen Coleman Colene Coletta Colette Colin Colleen Collen Collene Collette
Collin Colton Columbus Concepcion Concetta Concha Conchita Connie Conrad Constance Consuela Consuelo Contessa Cora
Coral Coralee Coralie Corazon Cordelia Cordell Cordia Cordie Coreen Corene Coretta Corey Cori Corie Corina Corine
Corinna Corinne Corliss Cornelia Cornelius Cornell Corrie Corrin Corrina Corrine Corrinne Cortez Cortney Cory
Courtney Coy Craig Creola Cris Criselda Crissy Crista Cristal Cristen Cristi Cristie Cristin Cristina Cristine
Cristobal Cristopher Cristy Crysta Crystle Cuc Curt Curtis Cyndi Cyndy Cynthia Cyril Cyrstal Cyrus Cythia Dacia
Dagmar Dagny Dahlia Daina Daine Daisey Daisy Dakota Dale Dalene Dalia Dalila Dallas Dalton Damaris Damian Damien
Damion Damon Dan Dana Danae Dane Danelle Danette Dani Dania Danial Danica Daniel Daniela Daniele Daniell Daniella
Danielle Danika Danille Danilo Danita Dann Danna Dannette Dannie Dannielle Danny Dante Danuta Danyel Danyell
Danyelle Daphine Daphne Dara Darby Darcel Darcey Darci Darcie Darcy Darell Daren Daria Darin Dario Darius Darla
Darleen Darlena Darlene Darline Darnell Daron Darrel Darrell Darren Darrick Darrin Darron Darryl Darwin Daryl Dave
David Davida Davina Davis Dawna Dawne Dayle Dayna Daysi Deadra Dean Deana Deandra Deandre Deandrea Deane Deangelo
Deann Deanna Deanne Deb Debbi Debbie Debbra Debby Debera Debi Debora Deborah Debra Debrah Debroah Dede Dedra Dee
Deeann Deeanna Deedee Deedra Deena Deetta Deidra Deidre Deirdre Deja Delaine Delana Delbert Delcie Delena Delfina
Delia Delicia Delila Delilah Delinda Delisa Dell Della Delma Delmar Delmer Delmy Delois Deloise Delora Deloras
Delores Deloris Delorse Delpha Delphia Delphine Delsie Demarcus Demetra Demetria Demetrice Demetrius Dena Denae
Deneen Denese Denice Denis Denise Denisha Denisse Denita Denna Dennis Dennise Denny Denver Denyse Deon Deonna Derek
Derick Derrick Deshawn Desirae Desiree Desmond Despina Dessie Destiny Detra Devin Devon Devona Devora Devorah
Dewayne Dewey Dewitt Dexter Dian Diana Diane Diann Dianna Dianne Dick Diedra Diedre Diego Dierdre Digna Dillon
Dimple Dina Dinah Dino Dinorah Dion Dione Dionna Dionne Dirk Divina Dixie Dodie Dollie Dolly Dolores Doloris Domenic
Domenica Dominga Domingo Dominic Dominica Dominick Dominique Dominque Domitila Domonique Dona Donald Donella Donetta
Donette Dong Donita Donn Donna Donnell Donnetta Donnette Donnie Donny Donovan Donte Donya Dora Dorathy Dorcas
Doreatha Doreen Dorene Doretha Dorethea Doretta Dori Doria Dorian Dorie Dorinda Dorine Doris Dorla Dorotha Dorothea
Dorothy Dorris Dorsey Dortha Dorthea Dorthey Dorthy Dottie Dotty Doug Douglas Douglass Dovie Doyle Dreama Drema Drew
Drucilla Drusilla Duane Dudley Dulce Dulcie Duncan Dung Dusti Dustin Dusty Dwain Dwana Dwayne Dwight Dyan Dylan Earl
Earle Earlean Earleen Earlene Earlie Earline Earnest Earnestine Eartha Easter Eboni Ebonie Ebony Eda Edda Eddie Eddy
Edelmira Eden Edgar Edgardo Edie Edison Edith Edmond Edmund Edmundo Edna Edra Edris Eduardo Edward Edwardo Edwin
Edwina Edyth Edythe Effie Efrain Efren Ehtel Eileen Eilene Ela Eladia Elaina Elaine Elana Elane Elanor Elayne Elba
Elbert Elda Elden Eldon Eldora Eldridge Eleanor Eleanora Eleanore Elease Elena Elene Eleni Elenor Elenora Elenore
Eleonor Eleonora Eleonore Elfreda Elfrieda Elfriede Eli Elia Eliana Elias Elicia Elida Elidia Elijah Elin Elina
Elinor Elinore Elisa Elisabeth Elise Eliseo Elisha Elissa Eliz Eliza Elizabet Elizabeth Elizbeth Elizebeth Elke Ella
Ellamae Ellan Ellen Ellena Elli Ellie Elliot Elliott Ellis Ellsworth Elly Ellyn Elma Elmer Elmira Elmo Elna Elnora
Elodia Elois Eloisa Eloise Elouise Eloy Elroy Elsa Elsie Elsy Elton Elva Elvera Elvia Elvie Elvin Elvina Elvira
Elvis Elwanda Elwood Elyse Elza Emanuel Emelda Emelia Emelina Emeline Emely Emerald Emerita Emerson Emery Emiko Emil
Emile Emilee Emilia Emilie Emilio Emily Emma Emmaline Emmanuel Emmett Emmie Emmitt Emmy Emogene Emory Ena Enda
Enedina Eneida Enid Enoch Enola Enrique Enriqueta Epifania Erasmo Eric Erica Erich Erick Ericka Erik Erika Erin
Erinn Erlene Erlinda Erline Erma Ermelinda Erminia Erna Ernest Ernestina Ernestine Ernesto Ernie Errol Ervin Erwin
Eryn Esmeralda Esperanza Essie Esta Esteban Estefana Estela Estell Estella Estelle Ester Esther Estrella Etha Ethan
Ethel Ethelene Ethelyn Ethyl Etsuko Etta Ettie Eufemia Eugena Eugene Eugenia Eugenie Eugenio Eula Eulah Eulalia Eun
Euna Eunice Eura Eusebia Eusebio Eustolia Eva Evalyn Evan Evangelina Evangeline Eve Evelia Evelin Evelina Eveline
Evelyn Evelyne Evelynn Everett Everette Evette Evia Evie Evita Evon Evonne Ewa Exie Ezekiel Ezequiel Ezra Fabian
Fabiola Fae Fairy Faith Fallon Fannie Fanny Farah Farrah Fatima Fatimah Faustina Faustino Fausto Faviola Fawn Fay
Faye Federico Felecia Felica Felice Felicia Felicidad Felicita Felicitas Felipa Felipe Felisa Felisha Felix Felton
Ferdinand Fermin Fermina Fern Fernanda Fernande Fernando Ferne Fidel Fidela Fidelia Filiberto Filomena Fiona Flavia
Fleta Fletcher Flo Flor Flora Florance Florence Florencia Florencio Florene Florentina Florentino Floretta Floria
Florida Florinda Florine Florrie Flossie Floy Floyd Fonda Forrest Fran France Francene Frances Francesca Francesco
Franchesca Francie Francina Francine Francis Francisca Francisco Francoise Frank Frankie Franklin Franklyn Fransisca
Fred Freda Fredda Freddie Freddy Frederic Frederica Frederick Fredericka Fredia Fredric Fredrick Fredricka Freeda
Freeman Freida Frida Frieda Fritz Fumiko Gabriel Gabriela Gabriele Gabriella Gabrielle Gail Gala Gale Galen Galina
Garfield Garland Garnet Garnett Garret Garrett Garry Garth Gary Gaston Gavin Gay Gaye Gayla Gayle Gaylene Gaylord
Gaynell Gaynelle Gearldine Gema Gemma Gena Genaro Genesis Geneva Genevie Genevieve Genevive Genia Genie Genna Gennie
Genny Genoveva Geoffrey Georgann George Georgeann Georgeanna Georgene Georgetta Georgette Georgia Georgiana
Georgiann Georgianna Georgianne Georgie Georgina Georgine Gerald Geraldine Geraldo Geralyn Gerard Gerardo Gerda Geri
Germaine German Gerri Gerry Gertha Gertie Gertrud Gertrude Gertrudis Gertude Ghislaine Gia Gianna Gidget Gigi Gil
Gilbert Gilberte Gilberto Gilda Gillian Gilma Gina Ginette Ginger Ginny Gino Giovanna Giovanni Gisela Gisele Giselle
Gita Giuseppe Giuseppina Gladis Glady Gladys Glayds Glen Glenda Glendora Glenn Glenna Glennie Glennis Glinda Gloria
Glory Glynda Glynis Golda Goldie Gonzalo Gordon Grace Gracia Gracie Graciela Grady Graham Graig Granville Grayce
Grazyna Greg Gregg Gregoria Gregorio Gregory Greta Gretchen Gretta Gricelda Grisel Griselda Grover Guadalupe Gudrun
Guillermina Guillermo Gus Gussie Gustavo Gwen Gwenda Gwendolyn Gwenn Gwyn Gwyneth Hae Hai Hailey Hal Haley Halina
Halley Hallie Han Hana Hang Hanh Hank Hanna Hannah Hannelore Hans Harlan Harland Harley Harold Harriet Harriett
Harriette Harris Harrison Harry Harvey Hassan Hassie Hattie Haydee Hayden Hayley Haywood Hazel Heath Heather Hector
Hedwig Hedy Hee Heide Heidi Heidy Heike Helaine Helen Helena Helene Helga Hellen Henrietta Henriette Henry Herb
Herbert Heriberto Herlinda Herma Herman Hermelinda Hermila Hermina Hermine Herminia Herschel Hershel Herta Hertha
Hester Hettie Hiedi Hien Hilaria Hilario Hilary Hilda Hilde Hildegard Hildegarde Hildred Hillary Hilma Hilton
Hipolito Hiram Hiroko Hisako Hoa Hobert Holley Holli Hollie Hollis Holly Homer Hong Horace Horacio Hortencia
Hortense Hortensia Hosea Houston Howard Hoyt Hsiu Hubert Huey Hugh Hugo Hui Hulda Humberto Hunter Huong Hwa Hyacinth
Hye Hyman Hyo Hyon Hyun Ian Ida Idalia Idell Idella Iesha Ignacia Ignacio Ike Ila Ilana Ilda Ileana Ileen Ilene
Iliana Illa Ilona Ilse Iluminada Ima Imelda Imogene Ina India Indira Inell Ines Inez Inga Inge Ingeborg Inger Ingrid
Inocencia Iola Iona Ione Ira Iraida Irena Irene Irina Irish Irma Irmgard Irvin Irving Irwin Isa Isaac Isabel Isabell
Isabella Isabelle Isadora Isaiah Isaias Isaura Isela Isiah Isidra Isidro Isis Ismael Isobel Israel Isreal Issac Iva
Ivan Ivana Ivelisse Ivette Ivey Ivonne Ivory Ivy Izetta Izola Jacalyn Jacelyn Jacinda Jacinta Jacinto Jack Jackeline
Jackelyn Jacki Jackie Jacklyn Jackqueline Jackson Jaclyn Jacob Jacqualine Jacque Jacquelin Jacqueline Jacquelyn
Jacquelyne Jacquelynn Jacques Jacquetta Jacqui Jacquie Jacquiline Jacquline Jacqulyn Jada Jade Jadwiga Jae Jaime
Jaimee Jaimie Jake Jaleesa Jalisa Jama Jamaal Jamal Jamar Jame Jamee Jamel James Jamey Jami Jamie Jamika Jamila
Jamison Jammie Jana Janae Janay Jane Janean Janee Janeen Janel Janell Janella Janelle Janene Janessa Janet Janeth
Janett Janetta Janette Janey Jani Janice Janie Janiece Janina Janine Janis Janise Janita Jann Janna Jannet Jannette
Jannie Janyce Jaqueline Jaquelyn Jared Jarod Jarred Jarrett Jarrod Jarvis Jasmin Jasmine Jason Jasper Jaunita Javier
Jay Jaye Jayme Jaymie Jayna Jayne Jayson Jazmin Jazmine Jean Jeana Jeane Jeanelle Jeanene Jeanett Jeanetta Jeanette
Jeanice Jeanie Jeanine Jeanmarie Jeanna Jeanne Jeannetta Jeannette Jeannie Jeannine Jed Jeff Jefferey Jefferson
Jeffery Jeffie Jeffrey Jeffry Jen Jena Jenae Jene Jenee Jenell Jenelle Jenette Jeneva Jeni Jenice Jenifer Jeniffer
Jenine Jenise Jenna Jennefer Jennell Jennette Jenni Jennie Jennifer Jenniffer Jennine Jenny Jerald Jeraldine Jeramy
Jere Jeremiah Jeremy Jeri Jerica Jerilyn Jerlene Jermaine Jerold Jerome Jeromy Jerrell Jerri Jerrica Jerrie Jerrod
Jerrold Jerry Jesenia Jesica Jess Jesse Jessenia Jessi Jessia Jessica Jessie Jessika Jestine Jesus Jesusa Jesusita
Jetta Jettie Jewel Jewell Jill Jillian Jim Jimmie Jimmy Jin Jina Jinny Joan Joana Joane Joanie Joann Joanna Joanne
Joannie Joaquin Joaquina Jocelyn Jodee Jodi Jodie Jody Joe Joeann Joel Joella Joelle Joellen Joesph Joetta Joette
Joey Johana Johanna Johanne John Johna Johnathan Johnathon Johnetta Johnette Johnie Johnna Johnnie Johnny Johnsie
Johnson Joi Joie Jolanda Joleen Jolene Jolie Joline Jolyn Jolynn Jon Jona Jonah Jonas Jonathan Jonathon Jone Jonell
Jonelle Jong Joni Jonie Jonna Jonnie Jordan Jordon Jorge Jose Josef Josefa Josefina Josefine Joselyn Joseph
Josephina Josephine Josette Josh Joshua Josiah Josie Joslyn Jospeh Josphine Josue Jovan Jovita Joya Joyce Joycelyn
Joye Juan Juana Juanita Jude Judi Judie Judith Judson Judy Jule Julee Julene Jules Juli Julia Julian Juliana Juliane
Juliann Julianna Julianne Julie Julieann Julienne Juliet Julieta Julietta Juliette Julio Julissa Julius Jung Junie
Junior Junita Junko Justa Justin Justina Justine Jutta Kacey Kaci Kacie Kacy Kai Kaila Kaitlin Kaitlyn Kala Kaleigh
Kaley Kali Kallie Kalyn Kam Kamala Kami Kamilah Kandace Kandi Kandice Kandis Kandra Kandy Kanesha Kanisha Kara Karan
Kareem Kareen Karen Karena Karey Kari Karie Karima Karin Karina Karine Karisa Karissa Karl Karla Karleen Karlene
Karly Karlyn Karma Karmen Karol Karole Karoline Karolyn Karon Karren Karri Karrie Karry Kary Karyl Karyn Kasandra
Kasey Kasha Kasi Kasie Kassandra Kassie Kate Katelin Katelyn Katelynn Katerine Kathaleen Katharina Katharine
Katharyn Kathe Katheleen Katherin Katherina Katherine Kathern Katheryn Kathey Kathi Kathie Kathleen Kathlene
Kathline Kathlyn Kathrin Kathrine Kathryn Kathryne Kathy Kathyrn Kati Katia Katie Katina Katlyn Katrice Katrina
Kattie Katy Kay Kayce Kaycee Kaye Kayla Kaylee Kayleen Kayleigh Kaylene Kazuko Kecia Keeley Keely Keena Keenan
Keesha Keiko Keila Keira Keisha Keith Keitha Keli Kelle Kellee Kelley Kelli Kellie Kelly Kellye Kelsey Kelsi Kelsie
Kelvin Kemberly Ken Kena Kenda Kendal Kendall Kendra Kendrick Keneth Kenia Kenisha Kenna Kenneth Kennith Kenny Kent
Kenton Kenya Kenyatta Kenyetta Kera Keren Keri Kermit Kerri Kerrie Kerry Kerstin Kesha Keshia Keturah Keva Keven
Kevin Khadijah Khalilah Kia Kiana Kiara Kiera Kiersten Kiesha Kieth Kiley Kim Kimber Kimberely Kimberlee Kimberley
Kimberli Kimberlie Kimberly Kimbery Kimbra Kimi Kimiko Kina Kindra Kip Kira Kirby Kirk Kirsten Kirstie Kirstin Kisha
Kittie Kitty Kiyoko Kizzie Kizzy Klara Korey Kori Kortney Kory Kourtney Kraig Kris Krishna Krissy Krista Kristal
Kristan Kristeen Kristel Kristen Kristi Kristian Kristie Kristin Kristina Kristine Kristle Kristofer Kristopher
Kristy Kristyn Krysta Krystal Krysten Krystin Krystina Krystle Krystyna Kum Kurt Kurtis Kyla Kyle Kylee Kylie Kym
Kymberly Kyoko Kyong Kyra Kyung Lacey Lachelle Laci Lacie Lacresha Lacy Ladawn Ladonna Lael Lahoma Lai Laila Laine
Lajuana Lakeesha Lakeisha Lakendra Lakenya Lakesha Lakeshia Lakia Lakiesha Lakisha Lakita Lala Lamar Lamonica Lamont
Lan Lana Lance Landon Lane Lanell Lanelle Lanette Lani Lanie Lanita Lannie Lanny Lanora Laquanda Laquita Lara Larae
Laraine Laree Larhonda Larisa Larissa Larita Laronda Larraine Larry Larue Lasandra Lashanda Lashandra Lashaun
Lashaunda Lashawn Lashawna Lashawnda Lashay Lashell Lashon Lashonda Lashunda Lasonya Latanya Latarsha Latasha
Latashia Latesha Latia Laticia Latina Latisha Latonia Latonya Latoria Latosha Latoya Latoyia Latrice Latricia
Latrina Latrisha Launa Laura Lauralee Lauran Laure Laureen Laurel Lauren Laurena Laurence Laurene Lauretta Laurette
Lauri Laurice Laurie Laurinda Laurine Lauryn Lavada Lavelle Lavenia Lavera Lavern Laverna Laverne Laveta Lavette
Lavina Lavinia Lavon Lavona Lavonda Lavone Lavonia Lavonna Lavonne Lawana Lawanda Lawanna Lawerence Lawrence Layla
Layne Lazaro Lea Leah Leana Leandra Leandro Leann Leanna Leanne Leanora Leatha Leatrice Lecia Leda Lee Leeann
Leeanna Leeanne Leena Leesa Leia Leida Leif Leigh Leigha Leighann Leila Leilani Leisa Leisha Lekisha Lela Lelah
Leland Lelia Lemuel Lena Lenard Lenita Lenna Lennie Lenny Lenora Lenore Leo Leola Leoma Leon Leona Leonard Leonarda
Leonardo Leone Leonel Leonia Leonida Leonie Leonila Leonor Leonora Leonore Leontine Leopoldo Leora Leota Lera Leroy
Les Lesa Lesha Lesia Leslee Lesley Lesli Leslie Lessie Lester Leta Letha Leticia Letisha Letitia Lettie Letty Levi
Lewis Lexie Lezlie Lia Liana Liane Lianne Libbie Libby Liberty Librada Lida Lidia Lien Lieselotte Ligia Lila Lili
Lilia Lilian Liliana Lilla Lilli Lillia Lilliam Lillian Lilliana Lillie Lilly Lily Lin Lina Lincoln Linda Lindsay
Lindsey Lindsy Lindy Linette Ling Linh Linn Linnea Linnie Lino Linsey Linwood Lionel Lisa Lisabeth Lisandra Lisbeth
Lise Lisette Lisha Lissa Lissette Lita Livia Liz Liza Lizabeth Lizbeth Lizeth Lizette Lizzette Lizzie Lloyd Logan
Loida Lois Loise Lola Lolita Loma Lona Londa Loni Lonna Lonnie Lonny Lora Loraine Loralee Lorean Loree Loreen
Lorelei Loren Lorena Lorene Lorenza Lorenzo Loreta Loretta Lorette Lori Loria Loriann Lorie Lorilee Lorina Lorinda
Lorine Loris Lorita Lorna Lorraine Lorretta Lorri Lorriane Lorrie Lorrine Lory Lottie Lou Louann Louanne Louella
Louetta Louie Louis Louisa Louise Loura Lourdes Lourie Louvenia Lovella Lovetta Lovie Lowell Loyce Loyd Luana Luann
Luanna Luanne Luba Lucas Luci Lucia Luciana Luciano Lucie Lucien Lucienne Lucila Lucile Lucilla Lucille Lucina
Lucinda Lucio Lucius Lucrecia Lucretia Lucy Ludie Ludivina Lue Luella Luetta Luigi Luis Luisa Luise Luke Lula Lulu
Luna Lupe Lupita Lura Lurlene Lurline Luther Luvenia Luz Lyda Lydia Lyla Lyle Lyman Lyn Lynda Lyndia Lyndon Lyndsay
Lyndsey Lynell Lynelle Lynetta Lynette Lynn Lynna Lynne Lynnette Lynsey Lynwood Mabel Mabelle Mable Mac Machelle
Macie Mack Mackenzie Macy Madalene Madaline Madalyn Maddie Madelaine Madeleine Madelene Madeline Madelyn Madge Madie
Madison Madlyn Madonna Maegan Mafalda Magali Magaly Magan Magaret Magda Magdalen Magdalena Magdalene Magen Maggie
Magnolia Mahalia Mai Maia Maida Maile Maira Maire Maisha Maisie Majorie Makeda Malcolm Malcom Malena Malia Malik
Malika Malinda Malisa Malissa Malka Mallie Mallory Malorie Malvina Mamie Mammie Manda Mandi Mandie Mandy Manie
Manuel Manuela Mao Maple Mara Maragaret Maragret Maranda Marc Marcel Marcela Marcelene Marcelina Marceline Marcelino
Marcell Marcella Marcelle Marcellus Marcelo Marcene Marchelle Marci Marcia Marcie Marco Marcos Marcus Marcy Mardell
Maren Marg Margaret Margareta Margarete Margarett Margaretta Margarette Margarita Margarite Margarito Margart Marge
Margene Margeret Margert Margery Marget Margherita Margie Margit Margo Margorie Margot Margret Margrett Marguerita
Marguerite Margurite Margy Marhta Mari Maria Mariah Mariam Marian Mariana Marianela Mariann Marianna Marianne
Mariano Maribel Maribeth Marica Maricela Maricruz Marie Mariel Mariela Mariella Marielle Marietta Mariette Mariko
Marilee Marilou Marilu Marilyn Marilynn Marin Marina Marinda Marine Mario Marion Maris Marisa Marisela Marisha
Marisol Marissa Marita Maritza Marivel Marjorie Marjory Marketta Markita Markus Marla Marlana Marleen Marlen Marlena
Marlene Marlin Marline Marlo Marlon Marlyn Marlys Marna Marni Marnie Marquerite Marquetta Marquis Marquita Marquitta
Marry Marsha Marshall Marta Marth Martha Marti Martin Martina Martine Marty Marva Marvel Marvella Marvin Marvis Marx
Mary Marya Maryalice Maryam Maryann Maryanna Maryanne Marybelle Marybeth Maryellen Maryetta Maryjane Maryjo Maryland
Marylee Marylin Maryln Marylou Marylouise Marylyn Marylynn Maryrose Masako Mason Matha Mathew Mathilda Mathilde
Matilda Matilde Matt Matthew Mattie Maud Maude Maudie Maura Maureen Maurice Mauricio Maurine Maurita Mauro Mavis
Maxie Maxima Maximina Maximo Maxine Maxwell Maya Maybell Maybelle Maye Mayme Maynard Mayola Mayra Mazie Mckenzie
Mckinley Meagan Meaghan Mechelle Meda Mee Meg Megan Meggan Meghan Meghann Mei Mel Melaine Melani Melania Melanie
Melany Melba Melda Melia Melida Melina Melinda Melisa Melissa Melissia Melita Mellie Mellisa Mellissa Melodee Melodi
Melodie Melonie Melony Melva Melvin Melvina Melynda Mendy Mercedes Mercedez Mercy Meredith Meri Merideth Meridith
Merilyn Merissa Merle Merlene Merlin Merlyn Merna Merri Merrie Merrilee Merrill Merry Mertie Mervin Meryl Mia Mica
Micaela Micah Micha Michael Michaela Michaele Michal Michale Micheal Michel Michele Michelina Micheline Michell
Michelle Michiko Mickey Micki Mickie Miesha Migdalia Mignon Miguel Miguelina Mika Mikaela Mike Mikel Miki Mikki Mila
Milagro Milagros Milan Milda Mildred Milford Milissa Millard Millicent Millie Milly Milo Milton Mimi Mina Minda
Mindi Mindy Minerva Ming Minh Minna Minnie Minta Miquel Mira Miranda Mireille Mirella Mireya Miriam Mirian Mirna
Mirta Mirtha Misha Missy Misti Mistie Misty Mitch Mitchel Mitchell Mitsue Mitsuko Mittie Mitzi Mitzie Miyoko Modesta
Modesto Mohamed Mohammad Mohammed Moira Moises Mollie Molly Mona Monet Monica Monika Monique Monnie Monroe
Monserrate Monty Mora Morgan Moriah Morris Morton Mose Moses Moshe Mozell Mozella Mozelle Mui Muoi Muriel Murray
Myesha Myles Myong Myra Myriam Myrl Myrle Myrna Myron Myrta Myrtice Myrtie Myrtis Myrtle Myung Nada Nadene Nadia
Nadine Naida Nakesha Nakia Nakisha Nakita Nam Nan Nana Nancee Nancey Nanci Nancie Nancy Nanette Nannette Nannie
Naoma Naomi Napoleon Narcisa Natacha Natalia Natalie Natalya Natasha Natashia Nathalie Nathan Nathanael Nathanial
Nathaniel Natisha Natividad Natosha Neal Necole Ned Neda Nedra Neely Neida Neil Nelda Nelia Nelida Nell Nella Nelle
Nellie Nelly Nelson Nena Nenita Neoma Neomi Nereida Nerissa Nery Nestor Neta Nettie Neva Nevada Neville Newton Nga
Ngan Ngoc Nguyet Nia Nichelle Nichol Nicholas Nichole Nicholle Nick Nicki Nickie Nickolas Nickole Nicky Nicol Nicola
Nicolas Nicolasa Nicole Nicolette Nicolle Nida Nidia Niesha Nieves Nigel Niki Nikia Nikita Nikki Nikole Nila Nilda
Nilsa Nina Ninfa Nisha Nita Noah Nobuko Noe Noel Noelia Noella Noelle Noemi Nohemi Nola Nolan Noma Nona Nora Norah
Norbert Norberto Noreen Norene Noriko Norine Norma Norman Normand Norris Nova Novella Nubia Nydia Nyla Obdulia Ocie
Octavia Octavio Oda Odelia Odell Odessa Odette Odilia Odis Ofelia Ola Olen Olene Oleta Olevia Olga Olimpia Olin
Olinda Oliva Oliver Olivia Ollie Olympia Oma Omar Omer Ona Oneida Onie Onita Opal Ophelia Ora Oralee Oralia Oren
Oretha Orlando Orpha Orval Orville Oscar Ossie Osvaldo Oswaldo Otelia Otha Otilia Otis Otto Ouida Owen Ozell Ozella
Ozie Pablo Paige Palma Palmer Palmira Pam Pamala Pamela Pamelia Pamella Pamila Pamula Pandora Pansy Paola Parker
Parthenia Particia Pasquale Pasty Pat Patria Patrica Patrice Patricia Patrick Patrina Patsy Patti Pattie Patty Paul
Paula Paulene Pauletta Paulette Paulina Pauline Paulita Paz Pearl Pearle Pearlene Pearlie Pearline Pearly Pedro Peg
Peggie Peggy Pei Penelope Penney Penni Pennie Percy Perla Perry Pete Peter Petra Petrina Petronila Phebe Phil Philip
Phillip Phillis Philomena Phoebe Phung Phuong Phylicia Phylis Phyliss Phyllis Pia Piedad Pierre Pilar Ping Pinkie
Piper Pok Polly Porfirio Porsche Porsha Porter Portia Precious Preston Pricilla Prince Princess Priscila Priscilla
Providencia Prudence Pura Qiana Queenie Quentin Quiana Quincy Quinn Quintin Quinton Quyen Rachael Rachal Racheal
Rachel Rachele Rachell Rachelle Racquel Rae Raeann Raelene Rafael Rafaela Raguel Raina Raisa Raleigh Ralph Ramiro
Ramon Ramona Ramonita Rana Ranae Randa Randal Randall Randee Randell Randi Randolph Randy Ranee Raphael Raquel
Rashad Rasheeda Rashida Raul Raven Raye Rayford Raylene Raymon Raymond Raymonde Raymundo Rayna Rea Reagan Reanna
Reatha Reba Rebbeca Rebbecca Rebeca Rebecca Rebecka Rebekah Reda Reed Reena Refugia Refugio Regan Regena Regenia
Reggie Regina Reginald Regine Reginia Reid Reiko Reina Reinaldo Reita Rema Remedios Remona Rena Renae Renaldo Renata
Renate Renato Renay Renda Rene Renea Renee Renetta Renita Renna Ressie Reta Retha Retta Reuben Reva Rex Rey Reyes
Reyna Reynalda Reynaldo Rhea Rheba Rhett Rhiannon Rhoda Rhona Rhonda Ria Ricarda Ricardo Richard Richelle Richie
Rick Rickey Ricki Rickie Ricky Rico Rigoberto Rikki Riley Rima Rina Risa Rita Riva Rivka Rob Robbi Robbie Robbin
Robby Robbyn Robena Robert Roberta Roberto Robin Robt Robyn Rocco Rochel Rochell Rochelle Rocio Rocky Rod Roderick
Rodger Rodney Rodolfo Rodrick Rodrigo Rogelio Roger Roland Rolanda Rolande Rolando Rolf Rolland Roma Romaine Roman
Romana Romelia Romeo Romona Ron Rona Ronald Ronda Roni Ronna Ronni Ronnie Ronny Roosevelt Rory Rosa Rosalba Rosalee
Rosalia Rosalie Rosalina Rosalind Rosalinda Rosaline Rosalva Rosalyn Rosamaria Rosamond Rosana Rosann Rosanna
Rosanne Rosaria Rosario Rosaura Roscoe Rose Roseann Roseanna Roseanne Roselee Roselia Roseline Rosella Roselle
Roselyn Rosemarie Rosemary Rosena Rosenda Rosendo Rosetta Rosette Rosia Rosie Rosina Rosio Rosita Roslyn Ross
Rossana Rossie Rosy Rowena Roxana Roxane Roxann Roxanna Roxanne Roxie Roxy Roy Royce Rozanne Rozella Ruben Rubi
Rubie Rubin Rubye Rudolf Rudolph Rudy Rueben Rufina Rufus Rupert Russ Russel Russell Rusty Ruth Rutha Ruthann
Ruthanne Ruthe Ruthie Ryan Ryann Sabina Sabine Sabra Sabrina Sacha Sachiko Sade Sadie Sadye Sage Sal Salena Salina
Salley Sallie Sally Salome Salvador Salvatore Sam Samantha Samara Samatha Samella Samira Sammie Sammy Samual Samuel
Sana Sanda Sandee Sandi Sandie Sandra Sandy Sanford Sang Sanjuana Sanjuanita Sanora Santa Santana Santiago Santina
Santo Santos Sara Sarah Sarai Saran Sari Sarina Sarita Sasha Saturnina Sau Saul Saundra Savanna Savannah Scarlet
Scarlett Scot Scott Scottie Scotty Sean Season Sebastian Sebrina Seema Selena Selene Selina Selma Sena Senaida
Serafina Serena Sergio Serina Serita Seth Setsuko Seymour Shad Shae Shaina Shakia Shakira Shakita Shala Shalanda
Shalon Shalonda Shameka Shamika Shan Shana Shanae Shanda Shandi Shandra Shane Shaneka Shanel Shanell Shanelle Shani
Shanice Shanika Shaniqua Shanita Shanna Shannan Shannon Shanon Shanta Shantae Shantay Shante Shantel Shantell
Shantelle Shanti Shaquana Shaquita Shara Sharan Sharda Sharee Sharell Sharen Shari Sharice Sharie Sharika Sharilyn
Sharita Sharla Sharleen Sharlene Sharmaine Sharolyn Sharon Sharonda Sharri Sharron Sharyl Sharyn Shasta Shaun Shauna
Shaunda Shaunna Shaunta Shaunte Shavon Shavonda Shavonne Shawana Shawanda Shawanna Shawn Shawna Shawnda Shawnee
Shawnna Shawnta Shay Shayla Shayna Shayne Shea Sheba Sheena Sheila Sheilah Shela Shelba Shelby Sheldon Shelia Shella
Shelley Shelli Shellie Shelly Shelton Shemeka Shemika Shena Shenika Shenita Shenna Shera Sheree Sherell Sheri
Sherice Sheridan Sherie Sherika Sherill Sherilyn Sherise Sherita Sherlene Sherley Sherly Sherlyn Sherman Sheron
Sherrell Sherri Sherrie Sherril Sherrill Sherron Sherry Sherryl Sherwood Shery Sheryl Sheryll Shiela Shila Shiloh
Shin Shira Shirely Shirl Shirlee Shirleen Shirlene Shirley Shirly Shizue Shizuko Shon Shona Shonda Shondra Shonna
Shonta Shoshana Shu Shyla Sibyl Sidney Sierra Signe Sigrid Silas Silva Silvana Silvia Sima Simon Simona Simone
Simonne Sina Sindy Siobhan Sirena Siu Sixta Skye Slyvia Socorro Sofia Soila Solange Soledad Solomon Somer Sommer
Sona Sondra Sonia Sonja Sonny Sonya Soo Sook Sophia Sophie Soraya Sparkle Spencer Stacee Stacey Staci Stacia Stacie
Stacy Stan Stanley Stanton Starla Starr Stasia Stefan Stefani Stefania Stefanie Stefany Steffanie Stella Stepanie
Stephaine Stephan Stephane Stephani Stephania Stephanie Stephany Stephen Stephenie Stephine Stephnie Sterling Steve
Steven Stevie Stewart Stormy Stuart Suanne Sudie Sue Sueann Suellen Suk Sulema Sumiko Sunday Sung Sunni Sunny
Sunshine Susan Susana Susann Susanna Susannah Susanne Susie Susy Suzan Suzann Suzanna Suzanne Suzette Suzi Suzie
Suzy Svetlana Sybil Syble Sydney Sylvester Sylvia Sylvie Synthia Syreeta Tabatha Tabetha Tabitha Tad Tai Taina
Taisha Tajuana Takako Takisha Talia Talisha Talitha Tam Tama Tamala Tamar Tamara Tamatha Tambra Tameika Tameka
Tamekia Tamela Tamera Tamesha Tami Tamica Tamie Tamika Tamiko Tamisha Tammara Tammera Tammi Tammie Tammy Tamra Tana
Tandra Tandy Taneka Tanesha Tangela Tania Tanika Tanisha Tanja Tanna Tanner Tanya Tara Tarah Taren Tari Tarra Tarsha
Taryn Tasha Tashia Tashina Tasia Tatiana Tatum Tatyana Taunya Tawana Tawanda Tawanna Tawna Tawny Tawnya Taylor Tayna
Ted Teddy Teena Tegan Teisha Telma Temeka Temika Tempie Tena Tenesha Tenisha Tennie Tennille Teodora Teodoro Teofila
Tequila Tera Tereasa Terence Teresa Terese Teresia Teresita Teressa Teri Terica Terina Terisa Terra Terrance Terrell
Terrence Terresa Terri Terrie Terrilyn Terry Tesha Tess Tessa Tessie Thad Thaddeus Thalia Thanh Thao Thea Theda
Thelma Theo Theodora Theodore Theola Theresa Therese Theresia Theressa Theron Thersa Thi Thomas Thomasena Thomasina
Thomasine Thora Thresa Thu Thurman Thuy Tia Tiana Tianna Tiara Tien Tiera Tierra Tiesha Tifany Tiffaney Tiffani
Tiffanie Tiffany Tiffiny Tijuana Tilda Tillie Tim Timika Timmy Timothy Tina Tinisha Tisa Tish Tisha Titus Tobi
Tobias Tobie Toby Toccara Tod Todd Toi Tom Tomas Tomasa Tomeka Tomi Tomika Tomiko Tommie Tommy Tommye Tomoko Tona
Tonda Tonette Toney Toni Tonia Tonie Tonisha Tonita Tonja Tony Tonya Tora Tori Torie Torri Torrie Tory Tosha Toshia
Toshiko Tova Towanda Toya Tracee Tracey Traci Tracie Tracy Tran Trang Travis Treasa Treena Trena Trent Trenton Tresa
Tressa Tressie Treva Trevor Trey Tricia Trina Trinh Trinidad Trinity Trish Trisha Trista Tristan Troy Trudi Trudie
Trudy Trula Truman Tuan Tula Tuyet Twana Twanda Twanna Twila Twyla Tyesha Tyisha Tyler Tynisha Tyra Tyree Tyrell
Tyron Tyrone Tyson Ula Ulrike Ulysses Una Ursula Usha Ute Vada Valarie Valda Valencia Valene Valentin Valentina
Valentine Valeri Valeria Valerie Valery Vallie Valorie Valrie Vance Vanda Vanesa Vanessa Vanetta Vania Vanita Vanna
Vannesa Vannessa Vashti Vasiliki Vaughn Veda Velda Velia Vella Velma Velva Velvet Vena Venessa Venetta Venice Venita
Vennie Venus Veola Vera Verda Verdell Verdie Verena Vergie Verla Verlene Verlie Verline Vern Verna Vernell Vernetta
Vernia Vernice Vernie Vernita Vernon Verona Veronica Veronika Veronique Versie Vertie Vesta Veta Vicenta Vicente
Vickey Vicki Vickie Vicky Victor Victoria Victorina Vida Viki Vikki Vilma Vina Vince Vincent Vincenza Vincenzo
Vinita Vinnie Viola Violet Violeta Violette Virgen Virgie Virgil Virgilio Virgina Virginia Vita Vito Viva Vivan
Vivian Viviana Vivien Vivienne Voncile Vonda Vonnie Wade Wai Waldo Walker Wallace Wally Walter Walton Waltraud Wan
Wanda Waneta Wanetta Wanita Ward Warner Warren Wava Waylon Wayne Wei Weldon Wen Wendell Wendi Wendie Wendolyn Wendy
Wenona Werner Wes Wesley Weston Whitley Whitney Wilber Wilbert Wilbur Wilburn Wilda Wiley Wilford Wilfred Wilfredo
Wilhelmina Wilhemina Willa Willard Willena Willene Willetta Willette Willia William Williams Willian Willie
Williemae Willis Willodean Willow Willy Wilma Wilmer Wilson Wilton Windy Winford Winfred Winifred Winnie Winnifred
Winona Winston Winter Wonda Woodrow Wyatt Wynell Wynona Xavier Xenia Xiao Xiomara Xochitl Xuan Yadira Yaeko Yael
Yahaira Yajaira Yan Yang Yanira Yasmin Yasmine Yasuko Yee Yelena Yen Yer Yesenia Yessenia Yetta Yevette Ying Yoko
Yolanda Yolande Yolando Yolonda Yon Yong Yoshie Yoshiko Youlanda Yuette Yuk Yuki Yukiko Yuko Yulanda Yun Yung Yuonne
Yuri Yuriko Yvette Yvone Yvonne Zachariah Zachary Zachery Zack Zackary Zada Zaida Zana Zandra Zane Zelda Zella Zelma
Zena Zenaida Zenia Zenobia Zetta Zina Zita Zoe Zofia Zoila Zola Zona Zonia Zora Zoraida Zula Zulema Zulma
"""))

COMMON_WORDS = frozenset(str.split("""
aa abbreviation abc abdomen abdominal abilities ability able abnormal abnormalities abortion about above abroad
abruptly abs absence absent absolute absolutely abstract abstractmethod abuse academic acb acc accelerate
acceleration accelerator accept acceptable acceptance accepted accepting access accessed accessibility accessible
accessing accidentally accommodate accomplish accomplishes accordance according accordingly account accountability
accountant accounting accounts accumulated accumulation accumulative accuracies accuracy accurate accurately
accusative acetaminophen achievable achieve achieved achievement achievements achieving acid acknowledge
acknowledges acknowledging acoustic acquire acquirer acquisition acquisitions across act acted acting action
actionable actions activate activated activation activations active actively activities activity actor actors acts
actual actually acute ad adapt adaptation adapted adapting adaptive add added adder adding addition additional addr
address addressed addresses addressing adds addstr addsubroutine adequate adhere adherence adhering adj adjacency
adjacent adjust adjusted adjusting adjustment adjustments adjusts admin administration administrative administrator
administrators adobe adopt adopted adoption ads adult adults advance advanced advancement advancements advantage
advantages adventure adversarial adversary advertising advice advisable advising advisor advocate advocating affect
affected affecting affects affinity affirmations afford affordable afraid after again against age aged agencies
agency agent agents aggregate aggregation aggressive agile agility ago agree agreement agreements agricultural ahead
ai aids aim aimed aiming aims air aircraft airfare airlock airport airports al alarm alert alerts algebra algebraic
algorithm algorithmic algorithms alias aliased align aligned aligning alignment aligns all allocate allocated
allocates allocating allocation allocations allow allowed allowing allows almost alone along alpha alphanumeric
already also alt alter alternate alternately alternative alternatives although altitude aluminum always am amazing
ambiguous ami among amount amounts amps an anaheim analysis analysts analytics analyze analyzed analyzer analyzes
analyzing anchor ancient and android androidx angel angle angled animal animate animation anime annotate annotation
annotations announce annoy annual annuity anomalies anonymity another answer answered answering answers antagonist
antenna anti antivirus any anyone anything anywhere aom apache apart apartment api apk apnea apologize app apparent
appcompat appeal appealing appear appearance appears append appended appending appends apple apples applicable
application applications applied applies apply applying appreciate appreciation approach approaches appropriate
appropriately approval approvals approved approx approximate approximated approximately approximation approximations
apps apt arbitrary archetype architectural architecture architectures archive archived archives are area areas arg
argmax argparse args argsort argue argues arguing argument arguments argv aria arise arithmetic arm armed armor arms
around arrange arranged arrangement arrangements array arrays arrive arrived arrow arrows art artery arthritis
article articles artifacts artificial artillery artists artwork as ascending aside ask asked asking asks aspect
aspects assembly assert assertion assess assessment assessments asset assets assign assigned assigning assignment
assignments assigns assist assistance assistant assistants associated associations assume assumed assumes assuming
assumption assumptions assured ast asteroid astype async asyncio at athletes atmosphere atomic atomically atravessar
attach attached attaching attack attacker attacks attempt attempting attempts attend attention attenuation attr
attract attractive attribute attributes audience audiences audio audioless audit audits augment augmentation
augmented auth authentic authenticate authenticated authentication authenticity author authorities authority
authorization authorized authors auto autoencoders autogen autoimmune autoload automate automated automates
automatic automatically automating automation autonomously autonomy autoregressive aux auxiliary av availability
available average averaging avocado avoid avoidance avoiding await award aware awareness away awk ax axes axiom
axioms axios axis azuretts bac back backend background backing backpropagation backslash backticks backtracking
backup backups backward bacterial bad badges badminton baguette baguettes baked baking balance balanced balancer
balances balancing ball ballistic balls banana band bandit bands bandwidth bank banking banks banner bar bargain
barplot barrier bars base based baseline bash basic basics basis basket bass batch bathroom batteries battery battle
bbox bctrl be beach beacon beam beans bear bearing beautiful beauty became because become becomes becoming bedroom
been before began begin beginner beginners beginning begins behalf behave behaves behavior behavioral behaviorist
behaviors behind being beings beliefs believe believes bell below bench benchmarks bend beneath beneficial benefit
benefits berries besides best beta better between beyond bg bi bias biased biases big biggest bike bill billion bin
binary bind binding bindings binds binom bins bio birth bit bitrate bits bitwise bl black blackberries blackberry
blades blank blend blender blenderbot blind blit blksize blob block blockchain blocking blocks blog blood bloody blr
blue blur blurred bmatrix bne board boat body boilerplate bold bond bonds bonus book booked booking bookmarks books
bool boolean boost boot booth bootloader border borders born borrower bot both bots bottlenecks bottles bottom
bought bounce bounces bound boundaries boundary bounded bounding bounds bowel bowl box boxed boxes boy bpm bq br bra
braces brackets brain branch branches brand branding brands brd breaches break breakdown breakfast breaking breaks
breast breathing brick bricks bridge brief bright brightness bring brings broad broader broken brothers brown browse
browser browsers browsing brute bs btn bubble bubbles bucket budget budgets buffer buffers bug bugged bugs build
builder building buildings builds built bulk bull bullet bundle buoy burden burn burns burst bus bushel business
businesses bustling busy but button buttons buy buying buys bx by byid bylaws bypass byte bytes bytesio bytestream
ca cabbage cabinets cable cables cache cached caching cage cakes calcium calculate calculated calculates calculating
calculation calculations calculator calculus call callback callbacks called caller calling calls came camelot camera
campaign campaigns can cancel cancellation cancelled cancer candidate candidates cannot canonical canvas cap
capabilities capable capacity capital capitalize capsule capture captured captures capturing car carb carbon carboy
carbs card cardiac cardiology cardiovascular cards care career careful carefully cargo carrots carry carrying
carryover cars cart cartridge case cases cash cast caster casting cat catch catching categorical categories
categorization categorize categorized category cater catfish cats caught cause caused causes causing caution
cautious cba ccc cd cdot cdots cdr cds ceilings cell cells cent center centered centers central centripetal cents
century cerr certain certificate cfg cfrac ch chain challenge challenges challenging champions chance chances change
changed changes changing channel channels chaotic chapter char character characteristic characteristics
characterized characters charge charged charges charm charset chart charts chases chat chatbot chatbots chatterbot
check checked checking checkmate checkout checks checksum cheddar cheese chemical chemicals cherry chess chest
chicken chief child childcare children chills chip chloride chlorine chloropleth chmod chocolate choice choices
choose chooser choosing chopped chord chords choropleth chosen chroma chrome chroot chunk chunks chunksize church
churn ci cilantro cin circ circa circle circular circumstances citation cities citizens city cl claim claimed claims
clan clarification clarify clarity class classes classic classical classification classified classifier classify
classroom clause clauses clean cleaned cleaning cleanup clear cleared clearer clearing clearly clears clever clf
click clicked clicking clicks client clients clilen climate clinical clip clipping clips clk clock clockwise clogged
clone cloned close closed closely closer closes closest closing closure cloth clothing cloud clues cluster
clustering clutter cm cmath cmd cmdlet cmp cnt co coat cocotb code codebase codebases codec coded codes coding
coefficient coefficients coffee cognitive coherence coherent cohesive coil coin coinbase coins col cold collaborate
collaboration collaborative colleagues collect collected collecting collection collections collective collector
collects collinear collision color colored colors colorvar cols column columns com combat combination combinations
combinatorial combine combined combines combining come comes comfort comfortable coming comm comma command commands
commas comment commentary commented comments commerce commercial commission commit commitment commitments committed
common commonly communicate communicating communication communications communicative communicator communities
community comp compact companies companion company compare compared comparing comparison compatibility compatible
compelling compensation competence competition competitive competitiveness competitor competitors compile compiled
compiler complement complementary complete completed completely completeness completes completing completion complex
complexities complexity compliance compliant complications complies comply component components composable
composables compose composed composer composition compound compounded compounding comprehension comprehensions
comprehensive comprehensively compressed compression compromise compromised compromising computation computational
computationally computations compute computed computer computers computes computing concat concatenate concatenated
concatenates concatenating concatenation concentration concentric concept concepts concern concerned concerns
concise conclude conclusion conclusions concrete concurrency concurrent concurrently condition conditional
conditionals conditions conduct conducted conducting conf conference conferences confidence confident
confidentiality config configuration configurations configure configured configuring confirm confirmation confirmed
confirms conflict conflicts confusion conn connect connected connecting connection connections connectivity
connector connectors connects connfd cons conscious consciousness consecutive consent consequences conservation
conservative consider consideration considerations considered considering consist consistency consistent
consistently consisting consists console consortium const constant constantly constants constraint constraints
construct constructed construction constructive constructor constructs consult consultancies consultancy consultant
consulting consumable consume consumed consumer consumers consumes consuming consumption contact contacts contain
contained container containers containing contains contamination content contents contest context contexts
contextual contiguous contingency continue continued continues continuing continuity continuous continuously contour
contours contract contractor contractors contracts contradiction contradicts contrast contrib contribute contributed
contributing contributions control controlled controller controlling controls convenience convenient conventions
converge convergence converges conversation conversational conversations converse conversion conversions convert
converted converting converts convey convidar convincing convolution convolutional cook cooked cookies cooking cool
cooling cooperation coord coordinate coordinates copied copies copy copying core cores corner corners coronary
coroutine coroutines corporate corporation corpus correct corrected correction corrections corrective correctly
correctness correlated correlation correlations correspond corresponding corresponds corruption cors cos cosine
cosmic cosmological cosmos cost costly costs cough coughing coughs could count counter countertops counting
countries country counts couple course coursera courses court cout covariance cover coverage covered covering covers
cp cpc cpp cpu cq craft crash crashes crate crazy cream create created creates creating creation creative creativity
creator creature creatures credentials credibility credit credits crew crf crime criminal crisis criteria criterion
critical critically criticisms critique cron crop crops cross crosses crossing crossover crossovers crossunder
crucial cruz cryptic crypto cryptocurrency cryptographic cryptographically crystals cs csharp css cstdio csv ctx
cube cuda cultivation cultural culture cultures cumulative cup curate curl curly currency current currently currents
curricula curriculum curses cursor curve custom customer customers customizable customization customize customized
cut cute cuts cutting cx cxpb cy cyber cybersecurity cycle cycles cycling cylinder da daemon daily damage damaged
damped damping dangerous dangling dark das dashboard dashboards data database databases dataframe dataloader dataset
datasets dataspace datatype date dates datetime dative daughter daunting day days db dbname ddot de deactivated dead
deadline deadlines deadly deal dealing deals deap death debate debt debug debugging decay decide decided decides
decimal decimals decision decisions deck declare decode decoded decoder decoders decodes decomposition decorated
decorator decrease decreased decreases decrement decremented dedicated deemed deep deeper deeply def default
defaultdict defeating defeats defect defects defense define defined defines defining definitely definition
definitions defs deg degradation degraded degree degrees del delay delayed delays delete deleted deletes deleting
deletion delicious delighted delimited delimiter deliver delivered delivering delivery delta delve delves demand
demo demographics demonstrate demonstrated demonstrates demonstrating demonstration demos denied denominator denote
denoted dense densities density deny department departments depend dependence dependencies dependency dependent
depending depends deploy deployed deploying deployment deposit deposition deposits depth derivation derivative
derivatives derive derived desc descending descent describe described describes describing description descriptions
descriptive descriptor design designated designed designer designers designing designs desire desired desk desktop
despite destination destroy destroyed detach detail detailed details detect detected detecting detection detections
detective determine determined determines determining deterministic dev develop developed developer developers
developing development developments deviation device devices df dfs diabetes diagnose diagnoses diagnosis diagnostic
diagonal diagram diagrams dialog dialogue dialogues diameter diamond dice diced dict dictionaries dictionary did
didn die dies diet diff differ difference differences different differential differentiate differentiated
differentiation difficult difficulties difficulty digit digital digits dilemma dilemmas dime dimension dimensional
dimensionality dimensions dimes dimming dinner dir direct directed direction directions directive directives
directly directories directors directory dirty disable disabled disadvantage disadvantages disasters discipline
disciplines disconnect discord discordjs discount discounts discouraged discover discovered discoveries discovers
discovery discriminant discrimination discriminator discuss discussed discusses discussing discussion discussions
disease dish disk dismiss disorder disp displacement display displayed displaying displays disposable disposal
dispose disproportionately dispute disrupt dissolved dist distance distances distill distinct distinctive
distinguish distribute distributed distributing distribution distributions district div dive diverse diversification
diversity divide divided divides dividing divine divisible division divisor django dl dlp dnn do doc docker docs
doctor document documentation documented documenting documents docx doe does doesn dog dogs doing dollar dom domain
domains dominant don done dongle door doors dot dots double dough down download downloaded downloading downloads
downtime downturns dp dplyr dport dpr dq draft drag drainage draw drawer drawing drawn draws dream dreams drill
drilling drills drink drinks drive driven driver drivers drives driving drop dropdown dropout dropping drug dry
dryskintips drywall dt dtype dual ducks due dungeon duplicate duplicates durability duration durian during dut duty
dx dy dynamic dynamically dynamics dysfunction dystopian each earlier early earn earnings earth earthquake ease
easier easily easy eat eating eavesdropping ecdf ecdfplot echo echoes ecodesign econometric economic economy
ecosystem ecosystems edge edgecolor edges edit edited editing editor edopro edu educate education educational ee
effect effective effectively effectiveness effects efficiency efficient efficiently effort efforts eg egg eggs eight
either elaborate elapsed elasticity elastomeric elbow elected electric electrical electricity electrochemical
electronic electronics electrons elem element elements elevated elevation elevator elif eliminate eliminates
elimination else elsewhere elsif em email emails embedding embeddings emergency emerging emission emissions emit
emitted emojis emotion emotional emotions empathetic empathy emphasis emphasize emphasized emphasizes emphasizing
employ employed employee employees employer employers empowers empty en enable enabled enables enabling encapsulate
enclosed encode encoded encoder encoders encoding encounter encountered encountering encounters encourage
encouragement encourages encouraging encrypt encrypted encryption end endblock ended endian ending endl endless
endpoint endpoints ends endswith endurance enemies enemy energy enforce enforcement engage engaged engagement
engaging engine engineer engineering engineers engines enhance enhanced enhancements enhances enhancing enjoy enough
ensemble ensure ensures ensuring enter entered entering enterprise enterprises enters enthusiasm entire entirely
entities entity entre entries entropy entry enum enumerate env environment environmental environmentally
environments enzyme eof epic episode episodes epoch epochs eprintln eps epsilon eq equal equals equation equations
equilibrium equipment equipped equities equity equivalent era err errno error errors escape escaped especially essay
essence essential establish established establishes establishing establishment estate estimate estimated estimates
estimating estimation estimator et eta etc eth ethical ethics etiquette eval evaluate evaluated evaluates evaluating
evaluation evaluator even evening evenly evenodd event events eventually ever every everyday everyone everything
evidence evil evoke evolution evolve evolving ex exa exact exactly exam examination examine examines examining
example examples exceed exceeding exceeds excel excellent except exception exceptional exceptions excessive exchange
excited exciting exclude excluding exclusive exe exec executable execute executed executing execution executions
executor exercise exercises exerted exist existence existential existing exists exit exited exiting exits exp expand
expanded expansion expect expectation expectations expected expects expended expending expense expenses expensive
experience experienced experienceleague experiences experiencing experiment experimental experimentation experiments
expert expertise experts expiration expiring expiry explain explainability explainer explaining explains explanation
explanations explicit explicitly exploit exploitation exploits exploration explore explored explores exploring
exponent exponential exponentiation export exported exporting exports expose exposed exposing exposure expr express
expressed expression expressions expressive exprs ext extend extended extends extension extensions extensive
extensively extent exterior extern external extinguisher extra extract extracted extracting extraction extracts
extreme extremely eye eyed eyes face facebook faces facilitate facilitated facilities facility facing fact factor
factorial factors factory facts fail failed fails failure failures fair fairness faiss fake fall fallback falling
falls false familiar familiarity families family famous fan fantasy far farmer fascinating fashion fast fastchat
faster fate father fats fault faults faulty favor favorable favorite favorites fbid fc fd feasibility feasible
feature features federal fee feed feedback feedforward feel feeling feelings fees feet fellow felt female
fermentation festival feta fetch fetchall fetched fetches fetching fever few fewer fewest ff fff ffmpeg fi fiber
fibonacci fibril fibrils fiction fictional field fields fifth fig fight figsize figure figures file filename
filepath files filesystem filing fill filled filling fills film filter filtered filtering filters final finally
finance finances financial find findall finding findings findobj finds fine fines fingerprints finish finished
finishes finishing finite finitely fire firewall firewalls firm firms firmware first fish fishy fit fitness fits
five fix fixed fixtures flag flags flames flash flashing flask flat flatten flavor flavors fledged flex flexibility
flexible flies flight flights flip float floating floor flooring floors floral flour floured flow flowchart flows
fluctuations fluid fly fmt fn focus focused focuses focusing foi fold folder folders folk follow followed following
follows font fonts food foot footer footprint for forall force forces forcing foreach forecast forecasting forecasts
foreground foreign forest forests forever fork form formal format formation formats formatted formatting formed
forming forms formula forte forth forum forums forward forwarding foster fostering found foundation foundational
foundations four fourth fov fp frac fraction fractional fractions fragment frame frames framework frameworks framing
free freedom freeform freestyle freeze frequencies frequency frequent frequently fresh friction fridge friend
friendly friends friendship friendships from fromkeys front frontend frozen frozenset fruit fruits fs ft fuel fuels
full fully fun func function functional functionalities functionality functioning functions fund fundamental funding
funds funnel furniture further future futuristic fuzz fuzzable fuzzer fuzzing fwmark gain gained gaining gains
galleries game games gametype gaming gamma gams gan gap gaps garbage gas gated gateway gateways gather gathering
gauge gave gcd gd gdf gdscript gear gender general generalization generalize generally generate generated generates
generating generation generations generative generator generators generic genetic genitive gensim gentle gentlemen
gently geographic geographical geom geometric geometries geometry geopandas geopy germs get geth gets getting ggplot
ghost gi giant gid git github give given gives giving glance glass glob global globally globals glossary gloves glsl
gluonts gluten go goal goals goat god gods goes going gold golden golf good goods got gout gov govern governance
government governments gpx gpxcat gr grab grabbing grabs gracefully grade graded gradient gradients grading gradio
grads gradually graduated grammar grammatical grams grand grant granted granting grants graph graphic graphical
graphics graphs grasp gravitational gravity gray grayscale great greater greatest greedy green greenhouse grep grid
grids grip grips grocery ground group groupby grouped grouping groups grow growers growing grows growth guarantee
guaranteed guarantees guard guess guest guests guidance guide guidelines guides guild guy gz ha habits hacking had
hair hairy half ham hamburger hand handle handled handler handles handling hands happen happening happens happiness
happy hard hardcoded harder hardware harm harmful harness has hasattr hash hashed hashing hashlib hashtag hashtags
haskell hasn hates have haven having hay hazard hazardous hazards hc he head header headers headless heads heal
healing health healthcare healthy hear heard heart heat heated heaters heating heavily heavy hedge hedging height
heights held hello help helper helpful helping helps her here hero hex hexadecimal hexagonal hexahedron hidden hide
hierarchical hierarchies high higher highest highfive highlight highlighted highlighting highlights highly hill him
himself hint hire hiring his histogram historical histories history hit hits hls hof hold holder holding holds hole
holy home homeowners homeserver homogeneous honest honey honor hook hooks hope horizontal horizontally horror
hospital host hosted hosting hostname hosts hot hotel hour hours house hover hovered how however hp hpp hr href
hrefs hrs html http https hub human humanity humans humidity humorous hybrid hydration hydraulic hydrochloric
hydrogen hygiene hypergeometric hyperparameter hyperparameters hypertension hyphens hypocrisies hypotheses
hypothesis hypothetical icon icons id iddin idea ideal ideals ideas identical identifiable identification identified
identifier identifiers identifies identify identifying identity ids idx idxmax ietf if iface ifconfig iff ignore ii
ij illegal illness illnesses illusion illusions illustrate illustration iloc image imagenet images imagine imaging
img immediate immediately immersive immune impact impacts impl implement implementation implementations implemented
implementing implements implications implicit implies import importance importances important imported importing
imports impose impossible imprisonment improve improved improvement improvements improves improving impulsive imread
imwrite in inability inactivity incense incentives incident incidents include included includes including inclusion
inclusive income incoming incomplete inconsistencies inconsistency inconsistent incorporate incorporates
incorporating incorrect incorrectly increase increased increases increasing increasingly increment incremental
incrementally incremented incrementing increments ind indeed indefinite indefinitely indent independence independent
independently index indexed indexing indicate indicated indicates indicating indicative indicators indices indirect
individual individually individuals indoor induced induction industrial industries industry inefficiencies
inequality inet infarction infection infections infectious infer inference inferences infinite infinitely infinity
inflamed inflammation inflammatory inflate inflater inflation influence influenced influencer influencers info
inform information informative informed infos infrastructure ingest ingestion ingredient ingredients inherent
inherited inherits init initial initialization initialize initialized initializes initializing initially initiate
initiative initiatives inject injection injured injuries injury inline inner innovation innovative input inputs
inquiries ins insect insensitive insert inserted inserting insertion inserts inside insight insights inspections
inspired instability install installation installed installer installing instance instances instant instead
institutions instruction instructions instrument instruments insufficient insulation insurance int integer integers
integral integrate integrated integrates integrating integration integrations integrators integrity intellectual
intelligence intended intensity intensive intent intentionally interact interacting interaction interactions
interactive interactively interest interested interesting interests interface interfaces interference interior
intermediate internal international internet interpolation interpret interpretability interpretation interpreted
interpreter interrupted intersection intersections intersects interval intervals intervention interventions
interview interviews into introduce introduced introduces introducing introduction introductory intrusion intuitive
invalid inventory inverse invest invested investigate investing investment investments investors invisible invite
invoice invoices invoked involve involved involvement involves involving io ioremap iostream ip ipad iptables iris
irrational irregular irritate is ischemia isempty isfinite isinstance island isn isolate isolated isolation isort
isset issue issued issues it item items iter iterable iterate iterates iterating iteration iterations iterative
iteratively iterator itinerary its itself iwgetid ja jail jam java javascript javax jax jellyfin jest jk jni jnp job
jobject joblib jobs join joined joining joins joint joints joke journal journey jpg jq js json jsx judgment juice
jump jumps june jurisdiction jurisdictions just justice justification justify kde kdeplot keep keeping keeps kept
keras kernel ket key keyboard keyboards keyframe keygen keying keys keystrokes keyword keywords kf kg kick kid
kidney killed killer kilometers kind king kings kit kitchen klama km know knowing knowledge known knows kotlin
kubeconfig kubernetes kwargs la lab label labeled labels laboratory labour labs lack lacks ladder laid lakh lambda
land landing landmark lands landscape lang language languages laptop large larger largest last lasts lat late
latency later latest latitude latte lattice lattpy laugh launch launches launching laureate law laws lawsuits lawyer
lay layer layers layoffs layout layouts lb ld ldr le lead leader leaders leadership leading leads leaflet leak
leaked leaks lean learn learned learner learners learning learns least leave leaves leaving led leech left
leftwinglock legal legend legislation legitimate legs lemon lemonade len length lengths lentils leq less lesson
lessons let letter letters level levels leverage leverages leveraging lg li liabilities liability liable lib libaom
libopus libraries library librosa libvpx licenses lie lies life lifestyle lifetime light lightbox lighting lights
lightweight like likelihood likely likes liking lime limit limitation limitations limited limiting limits line
linear linearly liner lines linestyle linguistic link linked linker linking links linux liquid list listdir listed
listen listener listeners listening listens listings lists lite literacy literal literally literature liters little
live liver lives living ll llvm ln lo load loaded loadeddata loader loading loads loan loans lobby loc local
localhost locally located location locations lock log logged logging logic logical logically login logistic logits
loglevel logo logos logout logs lon long longer longest longitude look lookahead lookback looking looks lookup loop
loops lor lose losing loss losses lossless lost lot love low lower lowercase lowest loyal loyalty lr lsp lst lua
luck lucky lunches luxury lxml machine machined machines macro made mae magic magical magna magnetic magnitude mail
main maintain maintainability maintainable maintained maintaining maintains maintenance major make makedirs makes
making maladaptive male malfunction malfunctioning malicious malware man mana manage manageable managed management
manager managers manages managing mangle manifest manipulate manipulated manipulating manipulation manner manual
manually manufacturer manufacturing many map mapped mapping maps march margin mark markdown marked marker markers
market marketing marketplace markets marking marks mask masonry mass massive master match matched matches matching
mate material materials math mathbb mathcal mathematical mathfrak matlab matplotlib matrices matrix matter matters
max maximize maximizes maximizing maximum maxlength may maybe mb mbed md me mead meal mean meaning meaningful
meanings means meant measurable measure measured measurement measurements measures measuring mechanic mechanical
mechanicals mechanics mechanism mechanisms media median medical medications medicine medium meet meeting meetings
meets melody melomel member members memo memoization memoize memory memorygenerate memset men mental mention
mentioned mentions mentors menu menuitem merchant merge merged merging mesh meshgrid message messages messaging met
meta metadata metal metaphor metatables meters metfamily method methodologies methodology methods metric metrics mg
mi micro microphone microservice microservices microsoft mid middle middleware might migrate migration mikrotik mile
miles milestones milk million millis millisecond milliseconds min mind mindful mine mined miner mineral minerals
mini minimal minimize minimizes minimizing minimum mining minlength minor mins mint minus minute minutes mirror
misaligned misleading mismatch mismatches missed misses missing mission mistake mistakes mit mitigate mitigating
mitigation mix mixed mixture mk mkdir mkv mkvmerge ml mm mobile mock mocking mod modal mode model modeling models
moderate moderator moderators modern modes modifications modified modifier modify modifying modular modularity
module modules modulo mol moment momentum monad monadic monads money monitor monitoring monitors monk monomers
monster monsters month monthly months mood moral morale more morning morphological mortar most mostly mother
motherboard motion motivated motivation motor mount mounted mounting mounts mouse mousedown mouseleave mousemove
mouseup mouth mov move moved movement movements moves movie moving mpg mr ms msal mse msg mssparkutils mt mtcars
mtctr much mud muddy muito multi multiple multiples multiplication multiplied multiplier multiply multiplying
multiprocessing murder murderer mushrooms music must mustard mut mutable mutate mutation mutpb mutual mv my mydomain
myocardial myocardium mysecretpassword mysqli mysteries mysterious mystery mystical na naivas naive name named
namedobjdict names namespace namespaces naming nano narrative narrow nation national native natural naturally nature
nav navbar navigate navigating navigation nc near nearby nearest necessarily necessary necessity need needed needing
needs neg negative negatively neglects negligible neighbor neighborhood neighboring neighbors neither neq nested net
netflow netmask netplan nets network networking networks neural neurons neutral never new newer newline newlines
newly news newsletters next nf ngen nginx nice niche nickel nickels night nights nil nill nio nix nixos nixpkgs nlp
nltk nm nmcli nn no nobody nocturia node nodes noise nominal nominative non nonce none nonlinear nonzero nor normal
normalization normalize normalized normalizing normally north nose not notable notation note notebook notes nothin
nothing notice notifications notified notify noting noun novel now np npcap npm ns nth nu nuanced nuances nuclear
nucleation null nullable nullptr num number numbers numeric numerical numerous numpy nums nursery nurture nutrient
nutrition nx nxn ny obesity obfuscated obj object objective objectives objects observation observations observe
observed observer observing obstacles obtain obtained obtaining occur occurred occurrence occurrences occurring
occurs ocean octave odd of off offense offer offering offerings offers office officers official offline offs offset
offsetof offsets offspring often og oil ok okay old older olive omega omelette on once onclick one ones ongoing
onion online onload only onnxruntime onset onto opacity opad opcode open opened opening openpyxl opens openzeppelin
operate operates operating operation operational operations operator operators opinion opinions opponent opponents
opportunities opportunity opposing opposite opt optim optimal optimization optimizations optimize optimized
optimizer optimizers optimizes optimizing option optional optionality optionally options or oral orange oranges
orbit ord order ordered ordering orders org organisation organization organizational organizations organize
organized organizer organizing orient orientation oriented origin original os oscillator other others otherwise our
out outcome outcomes outdated outer outgoing outlet outlets outliers outline outlined outlines outlining output
outputs outputting outreach outside oven over overall overcome overfitting overflow overhead overlapping overly
overparameterized overridden override overriding overview overwhelming own owned owner owners ownership owns pa pace
paced pack package packages packed packet packets pad padded padding page pages pagination paid pain painful pains
painting pair paired pairs pairwise palace palette pan pandas pandemic panel panels paper papers para parabola
paragraph paragraphs parallel parallelism parallelize parallelized param parameter parameterized parameters
paramount params parent parentheses paris parked parking parse parsed parser parses parsing part partial
participants participate participation particle particular particularly parties partition partitioned partitioning
partitions partner partners partnerships parts party pass passage passages passed passes passing passive passphrase
password passwords past paste patch patches path pathfinding pathology paths patience patient patientid patients
pattern patterns pause pawn pay paying payload payloads payment payments pd pdf peak pears peas peer penalties
penalty penetration pennies people pepper peppers peptide per percent percentage perception perceptual perfect
perfectly perform performance performant performed performing performs perfusion perimeter period periodic
periodically periods perl permission permissions permit permits permutation permuted perplexity perror persist
persistent persists person persona personal personality personalized personas personnel perspective perspectives
persuasive perturbation petty pfx pg pgr pharaoh phase phased phases phash phashes phenomenon phi philosophical
philosophy phishing phone photo photographs photon photos php phrase phrases physical physics pi pick picture
pictures pie piece pieces pin pinia pins pior pip pipe pipeline pipelines pipes pistols pitch pivot pixel pixels
pizza pjit pk pkgs pl place placed placeholder placeholders places placing plain plaintext plan plane planes planet
planned planning plans plant plants plastic plate platform platforms play played player players playing plays please
pledge pledges pledging plenty plot plotly plots plotted plotting plt plug plugin plugins plumbing plus pm pmap
pmatrix png pocket pod podcasts pods poem point pointer pointers pointing points polarity pole police policies
policy political polygon polygons polynomial pool pooling poor pop popular popularity populate population
populations popup port portfolio portion ports pos pose position positional positioned positioning positions
positive positives possibilities possibility possible possibly post posterior posts pot potatoes potential
potentially pow power powerbi powered powerful powers pp ppt pptx pq pr practical practice practices practicing
pragma prazo pre precautions preceding precise precision precompile predefined predicate predicates predict
predictable predicted predicting prediction predictions predictive predictor predictors predicts prefer preference
preferences preferred prefix preliminary preload prematurely premises premium preparation prepare prepared preparing
preposition preprocess preprocessed preprocessing presence present presentation presentations presented presenting
presents preserve preserves preserving preset president press pressed presses pressing pressure pretrained prev
prevent preventing prevention prevents previous previously price prices pricing primarily primary prime primes
primitive primitives princ principal principle principles print printed printf printing println prints prior
priorities prioritization prioritize prioritized prioritizing priority prism privacy private privileges pro
proactive probabilistic probabilities probability problem problems probs proc procedure procedures proceed
proceeding process processed processes processing processor produce produced produces producing product production
productive productivity products professional professionals professor proficiency profile profiles profiling profit
profitability profits profvis progn prognosis program programmatically programmer programmers programming programs
progress progression project projectile projection projections projects promise promising promote promotes promoting
promotion promotions prompt prompted promptly prompts promql prone pronounced proof proofs prop propagation proper
properly properties property proportion proposal propose proposed proposes proposition propositions props pros
protagonist protect protected protecting protection protein proto protocol protocols prove proved provide provided
provider providers provides providing provision provoking proximity proxy prs ps pseudo psi psk psychological
psychology pt ptr pu pub public publicly publish published pull pulled pulse pump punctuation puppy purchase
purchased purchases purchasing pure purpose purposes push pushed pushes put putpixel puts puzzle puzzles pw px py
pydub pygame pyplot pyrophosphate python pytorch qbittorrent qq quad quadrant quadratic qualified qualities quality
quantifier quantiles quantitative quantities quantity quantization quantum quarter quarters quartz qubit que queen
queried queries query querying question questionnaire questions queue quick quickly quinoa quit quite quote quotes
qword rabbit race rack racket radar radial radiance radians radiation radiologists radiology radius rage raging
rainfall raining rainy raise raised raises rand randint randn random randomization randomize randomized randomly
randomness range ranges rank ranked ranking rapaz rapid rapidly rare rate rated rates rather rating ratings ratio
rational rationale raw ray raycasting rays rb rbp rclone rds re reach reached reaches reaching react reaction
reactions reactive read readability readable reader readers readiness reading readings reads ready reagents real
realistic reality realize really rear rearranged reason reasonable reasoned reasoning reasons reassess rebuilding
recall receive received receiver receives receiving recent recently recipe recipient recitation recite reciting
recognition recognizable recognize recognized recognizing recommend recommendation recommendations recommended
reconnect reconstruct record recorded recording recordings records recover recovery recruitment rect rectangle
rectangular recurrent recurse recursion recursive recursively recv recvfrom recycling red redirect redness reduce
reduced reduces reducing reduction redundancy redundant reentrancy ref refer reference referenced references
referential referral referrals referred referring refers refine refined refinement refining reflect reflecting
reflection reflections regain regarding regardless regex regime region regions register registered registers
registration regression regular regularization regularly regulations regulatory reinforce reinforcement reject
rejected rejection rel relate related relation relational relationship relationships relative relatively relax
release released releases relevance relevant reliability reliable reliance relief relies religious reload relu rely
relying remain remainder remaining remains remember remind remote remotely removal remove removed removes removing
render rendered rendering renders renewable rent rental rented rep repair repeat repeated repeatedly repeating
repeats repetition repetitive replace replaced replacement replacements replacing replicate replication reply repo
report reported reporting reports repositories repository represent representation representations representative
represented representing represents reproducibility reproducible reproductive reputable reputation req request
requested requesting requests require required requirement requirements requires requiring res research researcher
researchers reserve reserved reservoir reset resets resetting reshape resident resilience resilient resist
resistance resistor resize resized resizing resolution resolve resolved resolver resolves resolving resonate
resonates resource resources respect respectful respective respectively respiratory respond responding responds
response responses responsibilities responsibility responsible responsibly responsive rest restart restaurant
restaurants restore restored restrict restricted restriction restrictions restrictive restring restringing result
resulting results resume retail retailer retailers retain retaining retention retirement retrain retraining retries
retrieval retrieve retrieved retrieves retrieving retro retry return returned returning returns reuse reveal
revealing revenge revenue reverb reverse reversed reverses reversible revert review reviewed reviewing reviews
revised revolutionize reward rewarding rewards rewrite rewritten rf rfe rgb rgba rgeos rho rhyme rhythm ribbon rich
riddle ride right rightarrow rightful rights rigid rigorous ring rise rising risk risks rival river rk rm rmi rng
road roadmap roads robocopy robot robots robust robustness role roles roll rolled rolling rollout rolls roof room
rooms root roots rotating rotation rough round rounded rounds route router routers routes routine routing row rows
royal rp rs rsa rsp rst rsync ru rua ruby ruins rule ruler rulers rules run runif running runs runtime rust sa sad
safe safely safety said sailing sake salami salary sale sales salesman salesmen salt salting salty samba same sample
sampled samples sampling sanitization sanitize sanitized sans saplogon satisfaction satisfied satisfies satisfy
satisfying sausage save saved saves saving savings savory savvy say saying says sc scalability scalable scalar scale
scaled scaler scales scaling scanf scanner scanning scans scatter scatterplot scenario scenarios scene scenechange
scenes schedule scheduled schedules scheduling schema schemas scheme schemes school sci science sciences scientific
scientist scientists scikit scim scipy scm scope score scores scoring scramble scrape scraper scraping scratch
screen screens screws script scripting scripts sd sdk se sea seaborn seal seam seamless seamlessly search searched
searches searching seasonal seasonality seasoned second secondary seconds secret secretly secrets section sections
sector sectors secure securely securing security sed sediment see seed seeing seek seeking seems seen sees segment
segmentation segmenting segments segregation seismic select selected selecting selection selector selects self sell
selling sells semantic semantics semaphore semi semiannual semikinematic send sender sending sends senior sense
sensing sensitive sensitivity sensor sensors sent sentence sentenced sentences sentiment sentiments separar separate
separated separately separates separation separator sepsis seq sequence sequences sequential serial series serif
serious serum serv servaddr serve served server servername servers serves service services serving sess session
sessions sestamibi set setimmediatevalue setmetatable setq sets setting settings setup seven several severe severity
sf sh sha shader shaders shadow shadows shall shap shape shaped shapes shaping sharded sharding share shared
shareholders shares sharing sharp she sheet shelf shell shells shift shifting shifts shiny ship shipped shipping
shoes shop shopping short shortcuts shorter shortest shot should show showcase showcases showcasing showed showing
shown shows shredded shrink shuffle shunt shutdown sia side sidebar sided sides sieve sigaction sigma sigmoid sign
signal signals signature signatures significance significant significantly signs silence silent silver similar
similarity similarly simple simpler simplex simplicity simplified simplifies simplify simplifying simply simulate
simulated simulates simulating simulation simulations simulator simultaneously sin since single singular singularity
sinister sisters sit site sites situation situations six size sized sizeof sizes skeleton skill skilled skillet
skills skin skina skincare skincarethatworks skintips skip sklearn sky sleep sleuth slice slices slide slider slides
slideshow sliding slightly slim slip slope slopes slot slots slow slowly slurp sm small smaller smallest smart smb
smbd smbpasswd smile smoke smokes smooth smoother smoothly smuggling sn snapshot sneeze sneezes sneezing sneumann
snippet snippets snmpwalk sns so soccer social society sock sockaddr socket sockfd socks sodium softmax software
soil sol solar sold solid solidity solubility solution solutions solvation solve solved solver solves solving some
someone something sometimes somewhat song soon sophisticated sort sorted sorting sorts sought sound soundfile sounds
soup source sources sourcing sp space spaces spacing span spans spark spatial speak speaker speaking speaks spec
special specialist specialized species specific specifically specification specifications specificity specifics
specified specifier specifies specify specifying specs spectrum speech speed speeds speedup spell spellcasting
spells spend spending spent sphere spheres spherical spill spinach split splits splitting spoken spontaneous sports
spots spread spreadsheet sprint sprints sprite sql sqlite sqlparse sqrt square squared squares sr src srv ss ssh
sshfs ssid st stability stable stack staff stage stages stainless stairs stakeholders stamps stance stand standard
standardized standards standing stands staple star start started starting starts startswith startup stat state
statement statements states static station statistical statistics stats statsmodels statue status stax stay staying
stays std stdin stdio stdout stdscr steady steal steam steel step steps stick sticking sticky stiffness stifle still
stir stirring stmt stock stocks stone stop stopped stopping stops storage store stored stores stories storing story
storyboard str straight straightforward strategic strategies strategy strawberries strawberry streak stream
streaming streamline streamlit streams street strength strengthen strengths stress stresses stressful stretch
stretching strict stricter strike string stringent strings strip stroke strokes strong stronger struct structural
structuralist structure structured structures structuring struggle struggling stuck student students studies study
studying stunning style styles stylesheet styling sub subarray subcategory subdirectories subheader subject
subjective subjectivity subjects submatrices submenu submission submit submitted submitting subnet subplots
subprocess subquery subregion subroutine subscribe subscription subsequent subset subseteq subsets subsidies
substance substitute substituting substitution substring subtitle subtitles subtract subtracting succeed success
successful successfully succession successive such sudden sudo suffer sufficient suffix sugar suggest suggested
suggesting suggestion suggestions suggests suit suitable suited sulley sum summarization summarize summarizer
summarizing summary summer summing sums sumti sumy sun sunlight sup super superconducting supernatural supplier
suppliers supplies supply support supported supporting supportive supports suppose surcharge sure surface surfaces
surprise surrounded surrounding surveillance survey surveys susceptible suspected suspicious sustainability
sustainable svcutil svelte svg swap sweet sweetness swelling swift swim swimmin swimming swings switch switched
switches switching swollen symbol symbolic symbols symfony symmetric symmetry symptoms syn synapseclient sync
synchronization synergy syntax synthesis sys system systematic systematically systemctl systemd systemic systems ta
tab table tables tablet tabletop tabs tabula tackle tactic tactical tactics tag tags tail tailings tailor tailored
tailscale tailwind take takeaways taken takes taking talent talk talking tampered tan tangent tangible tanh tank
tanstack tap tape tapped tar target targeted targeting targets task tasked tasks taste tastes taught tavla tax
taxation taxes taxi tbody tc tcp td tdi teach teacher teachers teaches teaching teal team teams tear tech technical
technique techniques technological technologies technology tell tells temp temperature template templates tempo
temporal temporarily temporary ten tenancy tenant tenants tend tenderness tension tensor tensorflow tensors term
terminal terminate terminated termination terminations terms terraform terrain terrible tessellation test testbench
tested testing tests tetrofosmin texas text textarea textblob textbox texte texts texture textures tf tftp th than
that the thead their them thematic theme themes themselves then theordinary theordinaryskincare theorem theoretical
theoretically theories theory therapy there thereby therefore thermal these thesis theta they thickness thief thing
things think thinking third this thorough thoroughly those though thought thoughtful thoughts thread threaded
threading threads threat threats three thresh threshold thresholding thresholds through throughout throw throws tick
ticker ticket tickets tiered tight tightly tile tiles time timeframe timeless timeline timelines timely timeout
timer timers times timeseries timestamp timestamps timing tips tissue tissues title titles tl tld tmp to today todo
todos toe together toggle toggles token tokenization tokenizer tokens told tolerance tolist tomatoes toml tone tonic
too tool toolbar toolbox tools top topic topics torch torrent torrents total totals touch touches tour tournament
towards tower towns toy toys tp tr trace traced tracing track tracked tracker trackers tracking tracks trade
tradeoff trades trading traditional traffic trailing train trainable trained trainer trainers training trains trait
traits trajectory transaction transactional transactions transfer transferred transfers transform transformation
transformations transformative transformed transformer transformers transforming transforms transhipment transit
transition transitions transitivity translate translated translation translations transmission transmit transmitter
transparency transparent transport transportation transported trap trauma travel traveled traveling traversal
traverse traversed traversing treat treated treating treatment tree trees trend trends triage triaging trial trials
triangle triangles trick tricky tried tries trigger triggered triggers trim trimmed trip triple troubleshoot
troubleshooting truck true truly truncate truncated truncation trust trusted trustworthy truth try trying ts tsars
tu tuna tune tuning tuple tuples turbines turkey turn turning turns tutorials twice twinkle twins two txt type typed
typedef typeof types typescript typical typically typing typos ufw ui uid uint ul ultimate ultimately ultrasound um
uma umami unable unanswered unauthorized unbiased unborn uncased uncertainties uncertainty unchanged unclear uncover
und undead undefined under undercurrent undergo underlying underrated underratedskincare underscores understand
understanding understands understood undo unethical unexpected unfair unfortunately unifier uniform uniformly
uniforms unintended unique uniquely unistd unit units unittest unity universal universe university unix unknown
unknowns unless unlikely unlock unnecessary unpledge unpledging unpredictable unrated unresponsive unsafe unseen
unselect unsigned unstable unstructured unsupervised until unused unusual unvisited unwanted unwrap up upcoming
update updated updater updates updating upfront upgrade upgrading uplifting upload uploaded upon upper uppercase ups
uptake upwards urandom urban urgent uric urinary url urls urn us usage use used useful user username usernames users
userspace uses using usize usr usual usually utf util utilities utility utilization utilize utilizing utils uv va
vaddr vague val valid validate validated validating validation validators validity valuable value valued values
valve van vanilla vanishes vanishing var varchar variability variable variables variance variant variants variation
variations varies variety various vary varying vast vault vb vbnet vbs ve vec vector vectorizer vectors vega
vegetables vehicle vehicles vel velocities velocity vendor vendors ventilation ventricular verb verbal verbose
verbosity verifiable verification verified verifier verify verifying versa version versioned versioning versions
versus vertex vertical vertically vertices very vessel vetted vf vfree via viability viable vibrations vice video
videogame videogames videos view viewer viewing viewport views village vintage viridis virtual visibility visible
vision visit visited visiting visitors visits visual visualization visualizations visualize visually visuals vital
vitamines vl vla vlan vmalloc vocabulary voice void volatile volatility voltage volume volumes voronoi vow voxel
voxels vs vue vulnerabilities vulnerability vulnerable vx vy wage wait waitfor waiting waits waive waiver waking
walk walking walks wall walls want wanted wants war warehouse warm warmth warning warnings warrior was wash waste
watch water waterfall waters watt wattage watts wav wave waveform waves way ways wb wc wcb we weak weakness
weaknesses wealth weapon weapons wear weather web webcam webinars webm webpage website websites websocket week
weekdays weekend weekly weeks weight weighted weights welcome well wellness went were wg what whatever wheat wheeled
when whenever where whereas whether which while whisk white whitepapers whitespace who whole whom whose why wide
widely wider widespread widget widgets width will willing wilted win wind window windows winfx winner winning wins
wire wireless wires wise wish wishes with withdraw within without wnd wolf woman women won wood word wordpress words
work workbook worked worker workers workflow workflows workgroup working workload workloads workout workouts
workpiece workplace works worksheet workshop workshops workspace world worlds worldwide worry worse worst worth
would wp wrap wrapped wrapper wraps writable write writer writes writing written wrong wrote ws wsdl wv www xaml xgb
xgboost xhr xlabel xlsx xml xmlns xmrig xpath xvar xvfb xy yaml yarn year years yeast yellow yes yet yf yfinance
yield yields yjs ylabel yolo you young younger your yourdomain yourself youth youtube yt yum yvar zero zeroes zeros
zip zipfile zone zoning zu
"""))
